using System.Diagnostics;

namespace ZtnetInfra.HostTests.TestHost;

/// <summary>
/// Polls ZTNet's health path through Caddy from outside the VM while something else happens, and
/// reports the longest stretch without a 200 (from the last good answer before it to the first after).
/// </summary>
public sealed class DowntimeMonitor : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<(TimeSpan At, bool Ok)> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public DowntimeMonitor(HttpsProbe probe, string path, TimeSpan interval)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var (status, _) = await probe.GetAsync(path, CancellationToken.None);
                lock (_samples) _samples.Add((_clock.Elapsed, status == 200));
                try { await Task.Delay(interval, _stop.Token); } catch (TaskCanceledException) { }
            }
        });
    }

    public int Samples { get { lock (_samples) return _samples.Count; } }

    public int Failures { get { lock (_samples) return _samples.Count(s => !s.Ok); } }

    /// <summary>The longest outage seen; zero when every answer was good.</summary>
    public TimeSpan LongestOutage()
    {
        lock (_samples)
        {
            var longest = TimeSpan.Zero;
            TimeSpan? lastGood = null;
            var down = false;
            foreach (var (at, ok) in _samples)
            {
                if (ok)
                {
                    if (down && lastGood is { } g && at - g > longest) longest = at - g;
                    if (down && lastGood is null && at > longest) longest = at;
                    down = false;
                    lastGood = at;
                }
                else down = true;
            }
            if (down) longest = TimeSpan.MaxValue; // never came back while watched
            return longest;
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
