using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// The images step against a stand-in podman: the missing images are pulled by one podman call, a
/// present one is not pulled, a re-run with all present costs one podman call, an image that
/// cannot be pulled fails the step by name after three tries, and a retry asks only for what is
/// still missing.
/// </summary>
public class ImagePullTests
{
    private static readonly DeploymentPlan Plan = Stacks.Plan(Stacks.Minimal());
    private static readonly string[] Images = [Plan.Settings.PostgresImage, Plan.Settings.ZerotierImage, Plan.Settings.ZtnetImage, Plan.Settings.CaddyImage];

    /// <summary>
    /// podman as far as the step uses it: `image inspect IMAGE...` fails unless every image is in the
    /// store (podman exits 125 on the first missing one); `image exists` answers 0 or 1; `pull
    /// IMAGE...` pulls its images one after the other in the one process, goes on past one that
    /// fails, prints each failure and exits 125 if any failed (containers/podman
    /// cmd/podman/images/pull.go: the loop over args appends each error and continues; PrintErrors).
    /// Its words name a docker.io image in the short form (docker://caddy:TAG for
    /// docker.io/library/caddy:TAG, as podman 5.4 printed it on the lab VM), not as the settings
    /// give it. A name in broken always fails; one in flaky fails once.
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
                shift 2; rc=0
                for i in "$@"; do
                  echo "pull $i" >> {{bin.Home}}/events
                  short=${i#docker.io/}; short=${short#library/}
                  if grep -qxF "$i" {{bin.Home}}/broken 2>/dev/null; then echo "Error: initializing source docker://$short: manifest unknown" >&2; rc=125; continue; fi
                  if grep -qxF "$i" {{bin.Home}}/flaky 2>/dev/null; then : > {{bin.Home}}/flaky; echo "Error: copying system image from manifest list: reading blob: connection reset" >&2; rc=125; continue; fi
                  touch "$store/$(key "$i")"; echo "sha256:$(key "$i")"
                done
                exit $rc ;;
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

    private static string[] Pulls(FakeBin bin) => [.. Lines(bin, "calls").Where(c => c.StartsWith("podman pull", StringComparison.Ordinal))];

    [Fact]
    public void Missing_images_are_pulled_by_one_podman_call()
    {
        using var bin = Host();
        var r = bin.Run(Plan.Step("images").Create);

        Assert.True(r.ExitCode == 0, r.Output);
        foreach (var image in Images) Assert.Contains($"ztnet-infra: pulled {image}", r.Output);
        Assert.Equal([$"podman pull --quiet {string.Join(' ', Images)}"], Pulls(bin));
        foreach (var image in Images) Assert.True(File.Exists(Path.Combine(bin.Home, "store", Key(image))));
        Assert.DoesNotContain(Lines(bin, "calls"), c => c.StartsWith("sleep", StringComparison.Ordinal));
        // A pull that exits 0 brought every image: the store is not asked again after it.
        Assert.Equal(Images.Length, Lines(bin, "calls").Count(c => c.StartsWith("podman image exists", StringComparison.Ordinal)));
    }

    [Fact]
    public void Present_images_are_not_pulled_and_a_rerun_costs_one_podman_call()
    {
        using (var bin = Host(Images[0], Images[2]))
        {
            var r = bin.Run(Plan.Step("images").Create);

            Assert.True(r.ExitCode == 0, r.Output);
            Assert.Equal([$"podman pull --quiet {Images[1]} {Images[3]}"], Pulls(bin));
            Assert.Contains($"ztnet-infra: {Images[0]} present", r.Output);
            Assert.DoesNotContain($"ztnet-infra: pulled {Images[0]}", r.Output);
        }
        using (var bin = Host(Images))
        {
            var r = bin.Run(Plan.Step("images").Create);

            Assert.True(r.ExitCode == 0, r.Output);
            Assert.Equal([$"podman image inspect --format {{{{.Id}}}} {string.Join(' ', Images)}"], Lines(bin, "calls"));
        }
    }

    [Fact]
    public void A_pull_that_fails_once_is_retried_alone()
    {
        using var bin = Host();
        File.WriteAllText(Path.Combine(bin.Home, "flaky"), Images[2] + "\n");

        var r = bin.Run(Plan.Step("images").Create);

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Equal([$"podman pull --quiet {string.Join(' ', Images)}", $"podman pull --quiet {Images[2]}"], Pulls(bin));
        Assert.Equal(["sleep 10"], Lines(bin, "calls").Where(c => c.StartsWith("sleep", StringComparison.Ordinal)));
        foreach (var image in Images) Assert.Single(r.Output.Split('\n'), l => l == $"ztnet-infra: pulled {image}");
    }

    [Fact]
    public void Images_that_cannot_be_pulled_fail_the_step_each_named_with_its_own_error_after_three_tries()
    {
        using var bin = Host(Images[0]);
        File.WriteAllText(Path.Combine(bin.Home, "broken"), $"{Images[2]}\n{Images[3]}\n");

        var r = bin.Run(Plan.Step("images").Create);

        Assert.NotEqual(0, r.ExitCode);
        // The last try pulls each alone, so each message carries podman's words about that image only.
        foreach (var image in new[] { Images[2], Images[3] })
        {
            var line = Assert.Single(r.Output.Split('\n'), l => l.StartsWith($"ztnet-infra: cannot pull {image} (3 tries): ", StringComparison.Ordinal));
            Assert.EndsWith($"Error: initializing source docker://{Short(image)}: manifest unknown ", line);
        }
        Assert.Contains("the running containers are untouched", r.Output);
        Assert.DoesNotContain($"cannot pull {Images[1]}", r.Output);
        Assert.Equal([$"podman pull --quiet {Images[1]} {Images[2]} {Images[3]}", $"podman pull --quiet {Images[2]} {Images[3]}",
            $"podman pull --quiet {Images[2]}", $"podman pull --quiet {Images[3]}"], Pulls(bin));
        Assert.Equal(["sleep 10", "sleep 20"], Lines(bin, "calls").Where(c => c.StartsWith("sleep", StringComparison.Ordinal)));
        // The others were pulled, once each; nothing else was asked of podman.
        Assert.Equal(1, Lines(bin, "events").Count(e => e == $"pull {Images[1]}"));
        Assert.DoesNotContain(Lines(bin, "calls"), c => c.StartsWith("podman", StringComparison.Ordinal)
            && !c.StartsWith("podman image inspect", StringComparison.Ordinal) && !c.StartsWith("podman image exists", StringComparison.Ordinal) && !c.StartsWith("podman pull", StringComparison.Ordinal));
    }

    /// <summary>How podman names a docker.io image in its messages.</summary>
    private static string Short(string image) => image.Replace("docker.io/library/", "", StringComparison.Ordinal).Replace("docker.io/", "", StringComparison.Ordinal);
}
