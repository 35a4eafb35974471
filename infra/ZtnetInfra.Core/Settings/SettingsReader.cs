namespace ZtnetInfra.Core.Settings;

/// <summary>
/// Reads a stack's config (keys "ztnet:...") into <see cref="StackSettings"/>, reporting every
/// problem at once.
/// </summary>
public static class SettingsReader
{
    public static StackSettings Read(IReadOnlyDictionary<string, ConfigValue> config, Func<string, string>? readFile = null)
    {
        var (settings, errors) = TryRead(config, readFile);
        if (settings is null) throw new InvalidSettingsException(errors);
        return settings;
    }

    /// <param name="readFile">
    /// Reads a file on the workstation (a path as the stack gives it, relative to the project
    /// directory) for the settings that may name one (ztnet:acmeCaRoot); null where there is no
    /// workstation (a path is then refused, naming the key).
    /// </param>
    public static (StackSettings? Settings, IReadOnlyList<SettingError> Errors) TryRead(IReadOnlyDictionary<string, ConfigValue> config, Func<string, string>? readFile = null)
    {
        var errors = new List<SettingError>();
        var r = new Reader(config, errors);

        foreach (var key in config.Keys.Where(k => k.StartsWith(SettingKey.Namespace + ":", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (SettingKeys.Find(key) is null)
                errors.Add(UnknownKey(key));
        }
        var misplaced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in config.Keys.Where(k => !k.StartsWith(SettingKey.Namespace + ":", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (MisplacedKey(key, config) is not { } found) continue;
            errors.Add(found.Error);
            misplaced.Add(found.Setting.FullKey);
        }

        var host = r.Text(SettingKeys.Host, Validate.HostOrAddress);
        var sshPort = r.Port(SettingKeys.SshPort);
        var sshUser = r.Text(SettingKeys.SshUser, Validate.UserName);
        var hostKey = r.Text(SettingKeys.SshHostKey, Validate.SshHostKey);
        var bastionHost = r.Text(SettingKeys.BastionHost, Validate.HostOrAddress);
        var bastionPort = r.Port(SettingKeys.BastionPort);
        var bastionUser = r.Text(SettingKeys.BastionUser, Validate.UserName);
        var bastionHostKey = r.Text(SettingKeys.BastionHostKey, Validate.SshHostKey);
        var serviceUser = r.Text(SettingKeys.ServiceUser, v => v == "root" ? "must not be root: the pod runs rootless" : Validate.UserName(v));
        var dataDir = r.Text(SettingKeys.DataDir, Validate.DataDirectory);
        var domain = r.Text(SettingKeys.Domain, Validate.Domain);
        var tls = r.Text(SettingKeys.TlsMode, v => v is "acme" or "internal" ? null : "must be acme or internal");
        var acmeEmail = r.Text(SettingKeys.AcmeEmail, Validate.Email);
        var acmeCa = r.Text(SettingKeys.AcmeCa, Validate.AcmeDirectory);
        var acmeCaRoot = r.Pem(SettingKeys.AcmeCaRoot, readFile);
        var httpPort = r.Port(SettingKeys.HttpPort);
        var httpsPort = r.Port(SettingKeys.HttpsPort);
        var ztPort = r.Port(SettingKeys.ZerotierPort);
        var pgImage = r.Text(SettingKeys.PostgresImage, v => Validate.Image(v) ?? Validate.PostgresImage(v));
        var ztImage = r.Text(SettingKeys.ZerotierImage, Validate.Image);
        var ztnetImage = r.Text(SettingKeys.ZtnetImage, Validate.Image);
        var caddyImage = r.Text(SettingKeys.CaddyImage, Validate.Image);
        var healthPath = r.Text(SettingKeys.ZtnetHealthPath, Validate.HttpPath);
        var autoUpdate = r.Bool(SettingKeys.AutoUpdate);
        var join = r.Bool(SettingKeys.ZerotierJoinNetworks);
        var retain = r.Bool(SettingKeys.RetainDataOnDestroy);
        var allowLowPorts = r.Bool(SettingKeys.AllowPortsBelow80);
        var healthTimeout = r.Int(SettingKeys.HealthTimeoutSeconds, 30, 3600);
        var backupsToKeep = r.Int(SettingKeys.BackupsToKeep, 1, 100);
        var backupSchedule = r.Text(SettingKeys.BackupSchedule, Validate.Schedule);
        var backupCheckSchedule = r.Text(SettingKeys.BackupCheckSchedule, Validate.Schedule);
        var backupRepository = r.Text(SettingKeys.BackupRepository, Validate.ResticRepository);
        var restoreFrom = r.Text(SettingKeys.RestoreFrom, Validate.RestoreSource);
        var resticPasswordSet = r.SecretSet(SettingKeys.BackupRepositoryPassword);
        var resticEnvironmentSet = r.SecretSet(SettingKeys.BackupRepositoryEnvironment);
        var pgPasswordSet = r.SecretSet(SettingKeys.PostgresPassword);
        var authSecretSet = r.SecretSet(SettingKeys.AuthSecret);
        var sshKeySet = r.SecretSet(SettingKeys.SshPrivateKey);

        // A required setting written under another namespace is reported once, as misplaced.
        errors.RemoveAll(e => e.Problem == "is required" && misplaced.Contains(e.Key));

        // Rules across settings, checked only when both sides are valid on their own; a key left
        // out counts with its default (httpPort 443 alone clashes with the default httpsPort 443).
        var effectiveHttp = EffectivePort(config, SettingKeys.HttpPort, httpPort, 80);
        var effectiveHttps = EffectivePort(config, SettingKeys.HttpsPort, httpsPort, 443);
        var effectiveSsh = EffectivePort(config, SettingKeys.SshPort, sshPort, 22);
        if (effectiveHttp is { } hp && effectiveHttps is { } hsp && hp == hsp)
            errors.Add(PortClash(config, SettingKeys.HttpsPort, SettingKeys.HttpPort, hp, "the pod would publish it twice (HTTP and HTTPS) and fail to start"));
        // ZTNet's HTTP ports are TCP on the host, as is SSH: sshd already holds ztnet:sshPort there
        // (the host the connection reaches, also behind a bastion), so rootless pasta could not bind it.
        // ztnet:zerotierPort is UDP (--publish PORT:9993/udp) and clashes with neither.
        foreach (var (web, port) in new[] { (SettingKeys.HttpPort, effectiveHttp), (SettingKeys.HttpsPort, effectiveHttps) })
        {
            if (port is { } wp && effectiveSsh is { } sp && wp == sp)
                errors.Add(PortClash(config, web, SettingKeys.SshPort, wp, "sshd holds that TCP port on the host, so the pod could not publish it"));
        }
        // The unprivileged-port floor follows the lowest published port, host-wide: below 80 it
        // opens ports every local user should not get (sshd's 22 among them) unless asked for.
        if (allowLowPorts != true && !(allowLowPorts is null && config.ContainsKey(SettingKeys.AllowPortsBelow80.FullKey)))
        {
            var effectiveZt = EffectivePort(config, SettingKeys.ZerotierPort, ztPort, 9993);
            foreach (var (key, port) in new[] { (SettingKeys.HttpPort, effectiveHttp), (SettingKeys.HttpsPort, effectiveHttps), (SettingKeys.ZerotierPort, effectiveZt) })
            {
                if (port is { } low && low < 80)
                    errors.Add(new SettingError(key.FullKey, $"is {low}, below 80: publishing it lowers net.ipv4.ip_unprivileged_port_start host-wide to {low}, so every local user could bind the ports from {low} up; choose 80 or above, or accept that with pulumi config set ztnet:allowPortsBelow80 true", "80"));
            }
        }
        var effectiveTls = tls ?? (config.ContainsKey(SettingKeys.TlsMode.FullKey) ? null : "acme");
        if (effectiveTls == "acme" && domain is not null)
        {
            // Public ACME CAs (Let's Encrypt, ZeroSSL: Caddy's defaults) issue certificates for DNS names only.
            if (Validate.IsIPv4(domain))
                errors.Add(new SettingError(SettingKeys.Domain.FullKey, $"is an IP address ({domain}), and ACME CAs issue no certificates for IP addresses; for a LAN address set ztnet:tlsMode internal (Caddy's own CA), or use a DNS name", "pulumi config set ztnet:tlsMode internal"));
            else if (!domain.Contains('.'))
                errors.Add(new SettingError(SettingKeys.Domain.FullKey, $"must be a public DNS name for an ACME certificate (got \"{domain}\"); for a LAN name set ztnet:tlsMode internal", "ztnet.example.org"));
            if (effectiveHttp is { } p80 && effectiveHttps is { } p443 && p80 != 80 && p443 != 443)
                errors.Add(new SettingError(SettingKeys.TlsMode.FullKey, $"acme needs port 80 or 443 published as such for its challenges (httpPort {p80}, httpsPort {p443}); use internal, or publish 80 or 443", "internal"));
        }
        // The ACME settings shape the acme issuer only: with Caddy's local CA they would be ignored
        // silently, and a root is for a CA named in ztnet:acmeCa.
        if (effectiveTls == "internal")
        {
            foreach (var k in new[] { SettingKeys.AcmeEmail, SettingKeys.AcmeCa, SettingKeys.AcmeCaRoot })
            {
                if (config.ContainsKey(k.FullKey))
                    errors.Add(new SettingError(k.FullKey, "is set but ztnet:tlsMode is internal (Caddy's own CA; no ACME account or directory is used)", $"pulumi config rm {k.FullKey}, or pulumi config set ztnet:tlsMode acme"));
            }
        }
        else if (config.ContainsKey(SettingKeys.AcmeCaRoot.FullKey) && !config.ContainsKey(SettingKeys.AcmeCa.FullKey))
            errors.Add(new SettingError(SettingKeys.AcmeCaRoot.FullKey, "is set but ztnet:acmeCa is not: the public CAs' roots are already trusted; a root is for the CA ztnet:acmeCa names", $"pulumi config set ztnet:acmeCa {SettingKeys.AcmeCa.Example}, or pulumi config rm ztnet:acmeCaRoot"));

        // The service account is created, lingered and (on a purge) deleted by the stack: it must not be a login it runs through.
        // Compared only where both sides are valid (a default counts when the key is absent).
        var svc = Effective(config, SettingKeys.ServiceUser, serviceUser, "ztnet");
        var login = Effective(config, SettingKeys.SshUser, sshUser, "root");
        if (svc is not null && svc == login)
            errors.Add(new SettingError(SettingKeys.ServiceUser.FullKey, $"must differ from ztnet:sshUser (both are {svc}): the stack owns the service account, and a purge deletes it; set another name", "zt-service"));
        // Without ztnet:bastionUser the jump login is ztnet:sshUser, checked above.
        var jump = bastionHost is null ? null : bastionUser;
        if (svc is not null && jump is not null && svc == jump)
            errors.Add(new SettingError(SettingKeys.ServiceUser.FullKey, $"must differ from ztnet:bastionUser, the jump host's login (both are {svc}): the stack owns the service account, and a purge deletes it; set another name", "zt-service"));
        if (bastionHost is null)
        {
            if (config.ContainsKey(SettingKeys.BastionUser.FullKey))
                errors.Add(new SettingError(SettingKeys.BastionUser.FullKey, "is set but ztnet:bastionHost is not", "set ztnet:bastionHost too, or remove ztnet:bastionUser"));
            if (config.ContainsKey(SettingKeys.BastionHostKey.FullKey))
                errors.Add(new SettingError(SettingKeys.BastionHostKey.FullKey, "is set but ztnet:bastionHost is not", "set ztnet:bastionHost too, or remove ztnet:bastionHostKey"));
            if (config.ContainsKey(SettingKeys.BastionPort.FullKey))
                errors.Add(new SettingError(SettingKeys.BastionPort.FullKey, "is set but ztnet:bastionHost is not", "set ztnet:bastionHost too, or remove ztnet:bastionPort"));
        }

        // Backups copied off the host: the repository and its password go together, and a local
        // repository inside the data directory would be lost with it.
        if (backupRepository is not null && !resticPasswordSet && !config.ContainsKey(SettingKeys.BackupRepositoryPassword.FullKey))
            errors.Add(new SettingError(SettingKeys.BackupRepositoryPassword.FullKey, "is required with ztnet:backupRepository (restic encrypts the repository with it; keep a copy off the host)", SettingKeys.BackupRepositoryPassword.Example));
        if (!config.ContainsKey(SettingKeys.BackupRepository.FullKey))
        {
            foreach (var k in new[] { SettingKeys.BackupRepositoryPassword, SettingKeys.BackupRepositoryEnvironment, SettingKeys.BackupCheckSchedule })
            {
                if (config.ContainsKey(k.FullKey))
                    errors.Add(new SettingError(k.FullKey, "is set but ztnet:backupRepository is not", $"set ztnet:backupRepository too, or remove {k.FullKey}"));
            }
        }
        if (backupRepository is not null && Effective(config, SettingKeys.DataDir, dataDir, "/opt/ztnet-data") is { } data
            && Validate.LocalRepositoryPath(backupRepository) is { } local && (local == data || local.StartsWith(data + "/", StringComparison.Ordinal)))
            errors.Add(new SettingError(SettingKeys.BackupRepository.FullKey, $"is inside ztnet:dataDir ({data}): a copy on the same disk is lost with it; name a repository on another disk or host", SettingKeys.BackupRepository.Example));

        // A backup in the repository is read with the repository's own settings.
        if (restoreFrom is not null && Settings.RestoreSource.Parse(restoreFrom).Kind == RestoreKind.Restic && !config.ContainsKey(SettingKeys.BackupRepository.FullKey))
            errors.Add(new SettingError(SettingKeys.RestoreFrom.FullKey, $"is {restoreFrom}, a backup in the restic repository, but ztnet:backupRepository is not set: set the repository the backup is in, with its password", $"pulumi config set ztnet:backupRepository {SettingKeys.BackupRepository.Example}"));

        if (errors.Count > 0) return (null, errors);

        var settings = new StackSettings
        {
            Host = host!,
            SshPort = sshPort ?? 22,
            SshUser = sshUser ?? "root",
            SshHostKey = hostKey,
            BastionHost = bastionHost,
            BastionPort = bastionPort ?? 22,
            BastionUser = bastionUser,
            BastionHostKey = bastionHostKey,
            ServiceUser = serviceUser ?? "ztnet",
            DataDir = dataDir ?? "/opt/ztnet-data",
            Domain = domain!,
            TlsMode = effectiveTls == "internal" ? TlsMode.Internal : TlsMode.Acme,
            AcmeEmail = acmeEmail,
            AcmeCa = acmeCa == "staging" ? Validate.LetsEncryptStaging : acmeCa,
            AcmeCaRootPem = acmeCaRoot,
            HttpPort = httpPort ?? 80,
            HttpsPort = httpsPort ?? 443,
            ZerotierPort = ztPort ?? 9993,
            PostgresImage = pgImage ?? Defaults.PostgresImage,
            ZerotierImage = ztImage ?? Defaults.ZerotierImage,
            ZtnetImage = ztnetImage ?? Defaults.ZtnetImage,
            CaddyImage = caddyImage ?? Defaults.CaddyImage,
            ZtnetHealthPath = healthPath ?? "/api/auth/ok",
            AutoUpdate = autoUpdate ?? true,
            ZerotierJoinNetworks = join ?? false,
            RetainDataOnDestroy = retain ?? true,
            AllowPortsBelow80 = allowLowPorts ?? false,
            HealthTimeoutSeconds = healthTimeout ?? 300,
            BackupsToKeep = backupsToKeep ?? 5,
            BackupSchedule = (backupSchedule ?? "daily") == "off" ? null : backupSchedule ?? "daily",
            BackupCheckSchedule = backupRepository is null || (backupCheckSchedule ?? "weekly") == "off" ? null : backupCheckSchedule ?? "weekly",
            BackupRepository = backupRepository,
            BackupRepositoryPasswordSet = resticPasswordSet,
            RestoreFrom = restoreFrom is null ? null : Settings.RestoreSource.Parse(restoreFrom),
            BackupRepositoryEnvironmentSet = resticEnvironmentSet,
            PostgresPasswordSet = pgPasswordSet,
            AuthSecretSet = authSecretSet,
            SshPrivateKeySet = sshKeySet,
        };
        return (settings, errors);
    }

    /// <summary>The value in effect: the valid value, the default when the key is absent, or null when the value was invalid.</summary>
    private static string? Effective(IReadOnlyDictionary<string, ConfigValue> config, SettingKey key, string? value, string? fallback) =>
        value ?? (config.ContainsKey(key.FullKey) ? null : fallback);

    private static int? EffectivePort(IReadOnlyDictionary<string, ConfigValue> config, SettingKey key, int? value, int fallback) =>
        value ?? (config.ContainsKey(key.FullKey) ? null : fallback);

    /// <summary>
    /// Two ports that must differ are equal. The error names the key to change: <paramref name="blamed"/>
    /// when it is set in the stack (or when neither is), else <paramref name="other"/>, whose value is the one set.
    /// </summary>
    private static SettingError PortClash(IReadOnlyDictionary<string, ConfigValue> config, SettingKey blamed, SettingKey other, int port, string why)
    {
        var blamedSet = config.ContainsKey(blamed.FullKey);
        var otherSet = config.ContainsKey(other.FullKey);
        if (!blamedSet && otherSet && other != SettingKeys.SshPort) (blamed, other, blamedSet, otherSet) = (other, blamed, otherSet, blamedSet);
        var example = blamed.Default != port.ToString(System.Globalization.CultureInfo.InvariantCulture) ? blamed.Default : blamed.Alternate ?? blamed.Example;
        var problem = (blamedSet, otherSet) switch
        {
            (true, true) => $"must differ from {other.FullKey} (both are {port}): {why}",
            (true, false) => $"is {port}, which {other.FullKey} also is by default: {why}; pick another port, or set {other.FullKey} to another",
            _ => $"is {port} by default, which {other.FullKey} is set to: {why}; set {blamed.FullKey} to another port",
        };
        return new SettingError(blamed.FullKey, problem, $"pulumi config set {blamed.FullKey} {example}");
    }

    /// <summary>
    /// A key outside ztnet: whose name is one of this program's settings: `pulumi config set domain`
    /// stores it under the project's own namespace (ztnet-infra:domain), a stack file line without a
    /// namespace is put there by the Pulumi CLI (sdk/go/common/workspace/loaders.go,
    /// stackConfigNamespacedWithProject), and a typed namespace (zt:domain) lands elsewhere: the
    /// program reads only ztnet:, so the setting would be silently missing. This stack's providers
    /// (command, random) read no key of these names.
    /// </summary>
    private static (SettingKey Setting, SettingError Error)? MisplacedKey(string key, IReadOnlyDictionary<string, ConfigValue> config)
    {
        var colon = key.IndexOf(':');
        var name = key[(colon + 1)..];
        var setting = SettingKeys.All.FirstOrDefault(k => k.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (setting is null) return null;
        var where = colon < 0 ? "has no namespace" : $"is in the namespace {key[..colon]}";
        const string why = "this program reads its settings only from the ztnet: namespace (a key set without one, as `pulumi config set NAME`, lands under the project's name)";
        // Both set: the misplaced one is a leftover that only misleads; removing it is the whole fix.
        if (config.ContainsKey(setting.FullKey))
            return (setting, new SettingError(key, $"{where}, and {why}; {setting.FullKey} is set too and is the one in effect, so remove this one", $"pulumi config rm {key}"));
        var set = setting.Secret ? setting.Example : $"pulumi config set {setting.FullKey} {setting.Example}";
        return (setting, new SettingError(key, $"{where}, and {why}; did you mean {setting.FullKey}?", $"pulumi config rm {key} && {set}"));
    }

    /// <summary>A typo: name the nearest real key, and give the commands that fix it as the example.</summary>
    private static SettingError UnknownKey(string key)
    {
        var name = key[(SettingKey.Namespace.Length + 1)..];
        var best = SettingKeys.All
            .Select(k => (k, d: Distance(name.ToLowerInvariant(), k.Name.ToLowerInvariant())))
            .OrderBy(x => x.d).First();
        if (best.d > 3)
            return new SettingError(key, "is not a setting of this program (the settings table in README.md lists them)", $"pulumi config rm {key}");
        var set = best.k.Secret ? best.k.Example : $"pulumi config set {best.k.FullKey} {best.k.Example}";
        return new SettingError(key, $"is not a setting of this program; did you mean {best.k.FullKey}?", $"pulumi config rm {key} && {set}");
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    private sealed class Reader(IReadOnlyDictionary<string, ConfigValue> config, List<SettingError> errors)
    {
        /// <summary>The plain text of a key, or null when absent (or when an error was recorded).</summary>
        public string? Text(SettingKey key, Func<string, string?> check)
        {
            if (!config.TryGetValue(key.FullKey, out var value))
            {
                if (key.Required) errors.Add(new SettingError(key.FullKey, "is required", $"pulumi config set {key.FullKey} {key.Example}"));
                return null;
            }
            if (value.IsSecure)
            {
                errors.Add(new SettingError(key.FullKey, "is encrypted, but it is not a secret: set it in plain text", $"pulumi config set {key.FullKey} {key.Example}"));
                return null;
            }
            var text = value.Text ?? "";
            var problem = check(text);
            if (problem is null) return text;
            errors.Add(new SettingError(key.FullKey, $"{problem} (got \"{Validate.Show(text)}\")", key.Example));
            return null;
        }

        /// <summary>PEM certificates given inline, or read from the workstation file the value names; normalised.</summary>
        public string? Pem(SettingKey key, Func<string, string>? readFile)
        {
            string normalised = "";
            var given = Text(key, v =>
            {
                if (Validate.IsInlinePem(v)) return Validate.CertificatePem(v, out normalised);
                if (v.Length is 0 or > 4096 || v.Any(char.IsControl)) return "must be PEM text or the path of a PEM file on the workstation";
                if (readFile is null) return "names a file, and no file can be read here: give the PEM text itself";
                string content;
                try
                {
                    content = readFile(v);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    return $"names a file that cannot be read on this workstation ({e.GetType().Name}: {e.Message})";
                }
                var problem = Validate.CertificatePem(content, out normalised);
                return problem is null ? null : $"names a file whose content {problem}";
            });
            return given is null ? null : normalised;
        }

        public int? Port(SettingKey key)
        {
            int port = 0;
            return Text(key, v => Validate.Port(v, out port)) is null ? null : port;
        }

        public int? Int(SettingKey key, int min, int max)
        {
            int value = 0;
            return Text(key, v => Validate.Integer(v, min, max, out value)) is null ? null : value;
        }

        public bool? Bool(SettingKey key)
        {
            bool value = false;
            return Text(key, v => Validate.Boolean(v, out value)) is null ? null : value;
        }

        /// <summary>Whether a secret key is set; a secret given in plain text is an error (it would sit unencrypted in the stack file).</summary>
        public bool SecretSet(SettingKey key)
        {
            if (!config.TryGetValue(key.FullKey, out var value)) return false;
            if (!value.IsSecure)
            {
                errors.Add(new SettingError(key.FullKey, "is stored in plain text in the stack file: set it with --secret (the value is not shown here)", key.Example));
                return false;
            }
            return true;
        }
    }
}
