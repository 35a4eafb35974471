using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// The images step against a stand-in podman: the missing images are pulled at once, a present one
/// is not pulled, a re-run with all present costs one podman call, and an image that cannot be
/// pulled fails the step by name after three tries.
/// </summary>
public class ImagePullTests
{
    private static readonly DeploymentPlan Plan = Stacks.Plan(Stacks.Minimal());
    private static readonly string[] Images = [Plan.Settings.PostgresImage, Plan.Settings.ZerotierImage, Plan.Settings.ZtnetImage, Plan.Settings.CaddyImage];

    /// <summary>
    /// podman as far as the step uses it: `image inspect IMAGE...` fails unless every image is in the
    /// store (podman exits 125 on the first missing one); `image exists` answers 0 or 1; `pull`
    /// takes a second, logs its start and end, and fails for names listed in broken.
    /// </summary>
    private static FakeBin Host(params string[] present)
    {
        var bin = new FakeBin();
        Directory.CreateDirectory(Path.Combine(bin.Home, "store"));
        foreach (var p in present) File.WriteAllText(Path.Combine(bin.Home, "store", Key(p)), "");
        bin.Tool("podman", $$"""
            store={{bin.Home}}/store
            key() { printf '%s' "$1" | tr '/:@' '___'; }
            echo "podman $*" >> {{bin.Home}}/calls
            case "$1 $2" in
              "image inspect") shift 4; for i in "$@"; do [ -e "$store/$(key "$i")" ] || { echo "Error: $i: image not known" >&2; exit 125; }; done; exit 0 ;;
              "image exists") [ -e "$store/$(key "$3")" ]; exit $? ;;
              "pull --quiet")
                echo "start $3" >> {{bin.Home}}/events
                /bin/sleep 1
                echo "end $3" >> {{bin.Home}}/events
                if grep -qxF "$3" {{bin.Home}}/broken 2>/dev/null; then echo "Error: initializing source docker://$3: manifest unknown" >&2; exit 125; fi
                touch "$store/$(key "$3")"; exit 0 ;;
            esac
            echo "unexpected podman $*" >&2; exit 2
            """);
        // The retry's waits are recorded, not waited for.
        bin.Tool("sleep", $"echo \"sleep $*\" >> {bin.Home}/calls");
        return bin;
    }

    private static string Key(string image) => image.Replace('/', '_').Replace(':', '_').Replace('@', '_');

    private static string[] Lines(FakeBin bin, string file) =>
        File.Exists(Path.Combine(bin.Home, file)) ? File.ReadAllLines(Path.Combine(bin.Home, file)) : [];

    [Fact]
    public void Missing_images_are_pulled_at_the_same_time()
    {
        using var bin = Host();
        var r = bin.Run(Plan.Step("images").Create);

        Assert.True(r.ExitCode == 0, r.Output);
        foreach (var image in Images) Assert.Contains($"ztnet-infra: pulled {image}", r.Output);
        var events = Lines(bin, "events");
        Assert.Equal(8, events.Length);
        // Every pull started before the first one ended.
        Assert.All(events.Take(4), e => Assert.StartsWith("start ", e));
        foreach (var image in Images) Assert.True(File.Exists(Path.Combine(bin.Home, "store", Key(image))));
    }

    [Fact]
    public void A_bound_of_one_pulls_one_after_the_other()
    {
        using var bin = Host();
        var body = Plan.Step("images").Create with { Body = Plan.Step("images").Create.Body.Replace("max_pulls='4'\n", "max_pulls='1'\n", StringComparison.Ordinal) };
        Assert.NotEqual(Plan.Step("images").Create.Body, body.Body);

        var r = bin.Run(body);

        Assert.True(r.ExitCode == 0, r.Output);
        var events = Lines(bin, "events");
        for (var i = 0; i < events.Length; i += 2)
        {
            Assert.StartsWith("start ", events[i]);
            Assert.Equal("end " + events[i]["start ".Length..], events[i + 1]);
        }
    }

    [Fact]
    public void Present_images_are_not_pulled_and_a_rerun_costs_one_podman_call()
    {
        using (var bin = Host(Images[0], Images[2]))
        {
            var r = bin.Run(Plan.Step("images").Create);

            Assert.True(r.ExitCode == 0, r.Output);
            Assert.Equal(new[] { $"start {Images[1]}", $"start {Images[3]}" }.Order(StringComparer.Ordinal), Lines(bin, "events").Where(e => e.StartsWith("start ", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            Assert.Contains($"ztnet-infra: {Images[0]} present", r.Output);
        }
        using (var bin = Host(Images))
        {
            var r = bin.Run(Plan.Step("images").Create);

            Assert.True(r.ExitCode == 0, r.Output);
            Assert.Equal([$"podman image inspect --format {{{{.Id}}}} {string.Join(' ', Images)}"], Lines(bin, "calls"));
        }
    }

    [Fact]
    public void An_image_that_cannot_be_pulled_fails_the_step_by_name_after_three_tries()
    {
        using var bin = Host(Images[0]);
        File.WriteAllText(Path.Combine(bin.Home, "broken"), Images[3] + "\n");

        var r = bin.Run(Plan.Step("images").Create);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"cannot pull {Images[3]} (3 tries): Error: initializing source docker://{Images[3]}: manifest unknown", r.Output);
        Assert.Contains("the running containers are untouched", r.Output);
        Assert.Equal(3, Lines(bin, "events").Count(e => e == $"start {Images[3]}"));
        Assert.Equal(["sleep 10", "sleep 20"], Lines(bin, "calls").Where(c => c.StartsWith("sleep", StringComparison.Ordinal)));
        // The others were pulled, once each; nothing else was asked of podman.
        Assert.Equal(1, Lines(bin, "events").Count(e => e == $"start {Images[1]}"));
        Assert.DoesNotContain(Lines(bin, "calls"), c => c.StartsWith("podman", StringComparison.Ordinal)
            && !c.StartsWith("podman image inspect", StringComparison.Ordinal) && !c.StartsWith("podman image exists", StringComparison.Ordinal) && !c.StartsWith("podman pull", StringComparison.Ordinal));
    }
}
