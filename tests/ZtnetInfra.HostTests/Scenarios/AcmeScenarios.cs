using System.Security.Cryptography.X509Certificates;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;
using ZtnetInfra.HostTests.Executor;
using ZtnetInfra.HostTests.TestHost;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// The default path, tlsMode acme, against a real ACME server in the guest: Pebble
/// (tests/testhost/guest/testhost-pebble@.service), whose validation reaches Caddy through the
/// published ports. After the purge (40), on an empty host, a stack of its own: a fresh apply
/// gets a certificate, a restart and a reboot reuse it, a CA that does not answer fails the gate
/// naming ACME and the CA, a CA that issues 20-minute certificates sees Caddy renew on its own;
/// then an IPv4 address as the domain with Caddy's internal CA. The stack stays for scenario 46,
/// which recovers it onto a new server.
/// </summary>
public sealed partial class StackOnTestHostTests
{
    /// <summary>Pebble's ACME directory as a container of the pod reaches it (host.containers.internal: pasta's --map-guest-addr).</summary>
    private const string PebbleDirectory = "https://host.containers.internal:14000/dir";

    /// <summary>Nothing listens there: a CA that does not answer.</summary>
    private const string DeadDirectory = "https://host.containers.internal:14001/dir";

    /// <summary>The guest's second Pebble, whose certificates are valid for 20 minutes.</summary>
    private const string ShortLivedDirectory = "https://host.containers.internal:14002/dir";

    private static string PebbleRootCommand(int managementPort = 15000) =>
        $"curl -fsS --cacert /etc/testhost-pebble/directory-root.pem https://localhost:{managementPort}/roots/0";

    /// <summary>Certificates a Pebble issued since the guest's last boot (a new Pebble each boot: no state is kept).</summary>
    private int PebbleIssued(string instance = "default") => int.Parse(host.Guest.RootOk(
        $"journalctl -b -u testhost-pebble@{instance}.service -o cat --no-pager | grep -c 'Issued certificate serial' || true").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The root a Pebble issues from, once it answers (it starts with the guest).</summary>
    private X509Certificate2 PebbleRoot(int managementPort = 15000)
    {
        var command = PebbleRootCommand(managementPort);
        host.Guest.RootOk($"for i in $(seq 60); do if {command} >/dev/null 2>&1; then exit 0; fi; sleep 2; done; systemctl status 'testhost-pebble@*'; exit 1");
        return X509Certificate2.CreateFromPem(host.Guest.RootOk(command));
    }

    /// <summary>The roots a user names in ztnet:acmeCaRoot for a Pebble: its directory's (the lab's) and the one it issues from.</summary>
    private string PebbleRoots(X509Certificate2 issuerRoot) =>
        host.Guest.RootOk("cat /etc/testhost-pebble/directory-root.pem") + issuerRoot.ExportCertificatePem() + "\n";

    [Fact, Scenario(41)]
    public async Task A_fresh_apply_with_acme_gets_its_certificate_from_the_ca_and_a_restart_and_a_reboot_reuse_it()
    {
        // An empty host: what the purge kept (the admin's notes) goes, as scenario 45 does.
        Assert.True(host.Stack.Executor.State.IsEmpty, "the ACME stack is deployed on an empty host (after the purge, scenario 40, or alone)");
        var data = host.Stack.Settings.DataDir;
        host.Guest.RootOk($"rm -f {data}/ADMIN-NOTES.txt; rmdir {data} 2>/dev/null || true; test ! -e {data}");
        var pebbleRoot = PebbleRoot();
        var roots = PebbleRoots(pebbleRoot);
        var acme = host.NewStack();
        acme.Change(
        [
            (SettingKeys.TlsMode, "acme"), (SettingKeys.AcmeCa, PebbleDirectory), (SettingKeys.AcmeCaRoot, roots),
            (SettingKeys.AcmeEmail, "ops@ztnet.test"), (SettingKeys.RetainDataOnDestroy, "false"),
        ], []);
        host.AcmeStack = acme;
        host.AcmeIssuerRoot = pebbleRoot;
        var issuedBefore = PebbleIssued();

        var run = acme.Apply();

        Assert.Contains("ZTNet answers", run.Single(r => r.Step == "health-gate").Result.Stdout, StringComparison.Ordinal);
        Assert.Equal(issuedBefore + 1, PebbleIssued());
        // From outside the VM, as a browser: the name, and a chain up to Pebble's root.
        var (status, body) = await WaitForAcmeHttpsAsync(pebbleRoot, Minutes5);
        Assert.True(status == 200, $"HTTPS with Pebble's certificate: {status} {body}");
        var served = await HttpsProbe.ServedCertificateAsync(TestStack.Domain, host.Env.HttpsPort);
        output.WriteLine($"served: {served.Subject}, issued by {served.Issuer}, {served.NotBefore:u} to {served.NotAfter:u}");
        Assert.Contains("Pebble", served.Issuer, StringComparison.Ordinal);
        Assert.Equal(TestStack.Domain, served.GetNameInfo(X509NameType.DnsName, false));
        var account = host.Guest.RootOk($"find {data}/caddy_data/caddy/acme -path '*/users/ops@ztnet.test/*.json' | sort");
        Assert.NotEqual("", account.Trim());

        // A restart of Caddy: the stored certificate is served again, no new order.
        Assert.Equal(0, host.Guest.UserSystemctl($"restart {ServiceCatalogue.Caddy.Unit}").ExitCode);
        (status, body) = await WaitForAcmeHttpsAsync(pebbleRoot, Minutes5);
        Assert.True(status == 200, $"HTTPS after Caddy's restart: {status} {body}");
        Assert.Equal(served.Thumbprint, (await HttpsProbe.ServedCertificateAsync(TestStack.Domain, host.Env.HttpsPort)).Thumbprint);
        Assert.Equal(issuedBefore + 1, PebbleIssued());

        // A reboot: a new Pebble (no orders, another root) and the same certificate, from storage.
        var boot = host.Guest.BootId();
        host.Guest.Root("systemctl reboot");
        Assert.True(await Until(TimeSpan.FromMinutes(10), () => host.Guest.Root("cat /proc/sys/kernel/random/boot_id") is { ExitCode: 0 } r && r.Stdout.Trim() != boot),
            "the VM did not come back from the reboot");
        (status, body) = await WaitForAcmeHttpsAsync(pebbleRoot, TimeSpan.FromMinutes(15));
        Assert.True(status == 200, $"HTTPS after the reboot: {status} {body}");
        Assert.Equal(served.Thumbprint, (await HttpsProbe.ServedCertificateAsync(TestStack.Domain, host.Env.HttpsPort)).Thumbprint);
        Assert.Equal(0, PebbleIssued());
        Assert.Equal("", host.Guest.RootOk("journalctl -b -u testhost-pebble@default.service -o cat --no-pager | grep -E 'Added order|Issued certificate' || true").Trim());
        Assert.Empty(acme.Apply());
    }

    [Fact, Scenario(42)]
    public async Task A_ca_that_does_not_answer_fails_the_gate_naming_acme_and_the_ca()
    {
        var acme = host.AcmeStack ?? throw new InvalidOperationException("not run: scenario 41 deploys the ACME stack");
        Assert.NotNull(host.AcmeIssuerRoot);
        var served = await HttpsProbe.ServedCertificateAsync(TestStack.Domain, host.Env.HttpsPort);
        // A short gate: what it reports is under test, not how long it waits (at least 30 s).
        acme.Change([(SettingKeys.AcmeCa, DeadDirectory), (SettingKeys.HealthTimeoutSeconds, "60")], []);

        var e = Assert.Throws<StepFailedException>(() => acme.Apply());

        Assert.Equal("health-gate", e.Record.Step);
        var report = e.Record.Result.Stderr;
        output.WriteLine(report);
        Assert.Contains($"ACME: Caddy could not get a certificate for {TestStack.Domain} from the CA {DeadDirectory}", report, StringComparison.Ordinal);
        Assert.Contains("14001", report.Split("its last errors:")[^1], StringComparison.Ordinal);

        // Set back: Caddy serves the certificate it stored for that CA, without a new order. The
        // gate's inputs are again those it last passed with, and its failed replacement left that
        // one in the state (create before delete): by the engine's rules it does not run.
        acme.Change([(SettingKeys.AcmeCa, PebbleDirectory), (SettingKeys.HealthTimeoutSeconds, "600")], []);
        var run = acme.Apply();
        Assert.Contains(run, r => r.Step == "unit-caddy");
        var (status, body) = await WaitForAcmeHttpsAsync(host.AcmeIssuerRoot!, Minutes5);
        Assert.True(status == 200, $"HTTPS after the CA was set back: {status} {body}");
        Assert.Equal(served.Thumbprint, (await HttpsProbe.ServedCertificateAsync(TestStack.Domain, host.Env.HttpsPort)).Thumbprint);
        Assert.Equal(0, PebbleIssued());
        Assert.Empty(acme.Apply());
    }

    [Fact, Scenario(43)]
    public async Task A_short_lived_certificate_is_renewed_by_caddy_without_a_restart_and_without_an_outage()
    {
        var acme = host.AcmeStack ?? throw new InvalidOperationException("not run: scenario 41 deploys the ACME stack");
        // A CA that issues 20-minute certificates (step-ca's default is 24 hours; Let's Encrypt
        // offers 6 days). The change of CA is an ordinary apply: Caddy restarts with the new JSON
        // and gets a certificate from it.
        var shortRoot = PebbleRoot(15002);
        acme.Change([(SettingKeys.AcmeCa, ShortLivedDirectory), (SettingKeys.AcmeCaRoot, PebbleRoots(shortRoot))], []);
        var issuedBefore = PebbleIssued("short");
        var run = acme.Apply();
        Assert.Contains("ZTNet answers", run.Single(r => r.Step == "health-gate").Result.Stdout, StringComparison.Ordinal);
        var first = await HttpsProbe.ServedCertificateAsync(TestStack.Domain, host.Env.HttpsPort);
        output.WriteLine($"first: {first.Issuer}, {first.NotBefore:u} to {first.NotAfter:u}");
        Assert.True(first.NotAfter - first.NotBefore <= TimeSpan.FromMinutes(20), $"a short-lived certificate: {first.NotBefore:u} to {first.NotAfter:u}");
        Assert.Equal(issuedBefore + 1, PebbleIssued("short"));
        var caddyRun = host.Guest.UserSystemctl($"show -p InvocationID --value {ServiceCatalogue.Caddy.Unit}").Stdout.Trim();
        Assert.NotEqual("", caddyRun);

        // A browser outside the VM asks every two seconds until Caddy serves another certificate.
        // Caddy checks its certificates every 10 minutes from its start (certmagic v0.25.3
        // maintain.go), and one with less than 50 minutes left is due (certificates.go
        // certNeedsRenewal): the first check renews it, about 10 minutes before it expires. Bounded
        // by that expiry: a certificate not renewed by then has failed the scenario.
        using var probe = new HttpsProbe(TestStack.Domain, host.Env.HttpsPort, shortRoot);
        var outages = new List<string>();
        var probes = 0;
        X509Certificate2? renewed = null;
        while (renewed is null && DateTime.UtcNow < first.NotAfter.ToUniversalTime())
        {
            var (status, body) = await probe.GetAsync(acme.Settings.ZtnetHealthPath);
            probes++;
            if (status != 200)
                outages.Add($"{DateTime.UtcNow:HH:mm:ss} {status} {body}");
            try
            {
                var served = await HttpsProbe.ServedCertificateAsync(TestStack.Domain, host.Env.HttpsPort);
                if (served.Thumbprint != first.Thumbprint)
                    renewed = served;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
            {
                outages.Add($"{DateTime.UtcNow:HH:mm:ss} handshake: {e.Message}");
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        output.WriteLine($"{probes} probes; renewed: {renewed?.NotBefore:u} to {renewed?.NotAfter:u}");
        Assert.True(renewed is not null, $"Caddy did not renew the certificate before it expired at {first.NotAfter:u}; its log: "
            + host.Guest.AsServiceUser($"podman logs --tail 40 {ServiceCatalogue.Caddy.Name} 2>&1 | grep -F tls").Stdout);
        Assert.True(outages.Count == 0, "the probe saw an outage: " + string.Join("; ", outages));
        Assert.True(renewed!.NotBefore > first.NotBefore, $"a newer certificate: {renewed.NotBefore:u} after {first.NotBefore:u}");
        var (after, afterBody) = await probe.GetAsync(acme.Settings.ZtnetHealthPath);
        Assert.True(after == 200, $"the renewed certificate chains to the CA's root: {after} {afterBody}");
        // By Caddy itself, in the same run: no restart, and its log says so.
        Assert.Equal(caddyRun, host.Guest.UserSystemctl($"show -p InvocationID --value {ServiceCatalogue.Caddy.Unit}").Stdout.Trim());
        Assert.Contains("certificate renewed successfully",
            host.Guest.AsServiceUserOk($"podman logs {ServiceCatalogue.Caddy.Name} 2>&1 | grep -F '\"logger\":\"tls.renew\"' || true"), StringComparison.Ordinal);
        Assert.True(PebbleIssued("short") >= issuedBefore + 2, "the renewal is a new order at the CA");
        Assert.Empty(acme.Apply());
    }

    [Fact, Scenario(44)]
    public async Task An_ip_address_as_the_domain_is_served_with_the_internal_ca_to_the_gate_and_from_outside()
    {
        var acme = host.AcmeStack ?? throw new InvalidOperationException("not run: scenario 41 deploys the ACME stack");
        var ip = host.Guest.RootOk("ip -4 -o addr show scope global | awk '{ sub(\"/.*\", \"\", $4); print $4; exit }'").Trim();
        Assert.Matches(@"^\d+\.\d+\.\d+\.\d+$", ip);
        acme.Change([(SettingKeys.Domain, ip), (SettingKeys.TlsMode, "internal")], [SettingKeys.AcmeCa, SettingKeys.AcmeCaRoot, SettingKeys.AcmeEmail]);

        // The gate asks https://IP/ itself (no --resolve): Caddy picks the certificate by the address the connection arrived on.
        var run = acme.Apply();
        Assert.Contains($"ZTNet answers https://{ip}/", run.Single(r => r.Step == "health-gate").Result.Stdout, StringComparison.Ordinal);

        // From outside the VM: the forwarded port reaches the guest's own address, as a LAN client's connection does.
        var root = X509Certificate2.CreateFromPem(host.Guest.RootOk($"cat {acme.Settings.DataDir}/caddy_data/caddy/pki/authorities/local/root.crt"));
        using var probe = new HttpsProbe(ip, host.Env.HttpsPort, root);
        var (status, body) = await probe.GetAsync(acme.Settings.ZtnetHealthPath);
        Assert.True(status == 200, $"https://{ip}{acme.Settings.ZtnetHealthPath} from outside: {status} {body}");
        var served = await HttpsProbe.ServedCertificateAsync(ip, host.Env.HttpsPort);
        var names = new X509SubjectAlternativeNameExtension(served.Extensions["2.5.29.17"]!.RawData);
        Assert.Contains(ip, names.EnumerateIPAddresses().Select(a => a.ToString()));

        // The stack stays: scenario 46 takes its backup and then loses the server.
    }

    private async Task<(int Status, string Body)> WaitForAcmeHttpsAsync(X509Certificate2 root, TimeSpan timeout)
    {
        (int Status, string Body) last = (0, "not tried");
        await Until(timeout, () =>
        {
            using var probe = new HttpsProbe(TestStack.Domain, host.Env.HttpsPort, root);
            last = probe.GetAsync((host.AcmeStack ?? host.Stack).Settings.ZtnetHealthPath).GetAwaiter().GetResult();
            return last.Status == 200;
        });
        return last;
    }
}
