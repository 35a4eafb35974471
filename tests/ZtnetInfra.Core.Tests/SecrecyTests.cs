using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Tests;

/// <summary>Secrets reach the host only on stdin: never in a unit, a script or a rendered file.</summary>
public class SecrecyTests
{
    private const string Password = "PgSecretValue0123456789Zz";
    private const string Auth = "AuthSecretValue-0123456789-abcdefghijklmnop";

    [Theory]
    [MemberData(nameof(Stacks.VariedNames), MemberType = typeof(Stacks))]
    public void No_secret_value_appears_in_units_scripts_or_rendered_files(string stack)
    {
        var config = Stacks.Varied[stack];
        var plan = Stacks.Plan(config);
        var secrets = new Dictionary<PlanSecret, string> { [PlanSecret.PostgresPassword] = Password, [PlanSecret.AuthSecret] = Auth };
        // The stdin text does hold them: proof that the check below looks for the right thing.
        Assert.Contains(Password, DeploymentPlan.ComposeStdin(plan.Step("podman-secrets"), secrets));

        var rendered = ZtnetInfra.Cli.Renderer.Files(plan, config).Values;
        var texts = plan.Units.Select(u => u.Render())
            .Concat(plan.Steps.SelectMany(s => s.Scripts).SelectMany(s => new[] { s.Body, s.Command }))
            .Concat(rendered);

        Assert.All(texts, t =>
        {
            Assert.DoesNotContain(Password, t);
            Assert.DoesNotContain(Auth, t);
        });
    }

    [Fact]
    public void Units_take_secrets_from_podman_secrets_and_never_as_environment_values()
    {
        var plan = Stacks.Plan(Stacks.Minimal());
        var all = string.Concat(plan.Units.Select(u => u.Render()));

        Assert.DoesNotContain("POSTGRES_PASSWORD=", all);
        Assert.DoesNotContain("NEXTAUTH_SECRET=", all);
        var ztnet = plan.Units.Single(u => u.Name == ServiceCatalogue.Ztnet.Unit).Render();
        Assert.Contains("--secret ztnet-postgres-password,type=env,target=POSTGRES_PASSWORD", ztnet);
        Assert.Contains("--secret ztnet-auth-secret,type=env,target=NEXTAUTH_SECRET", ztnet);
        // PostgreSQL reads a mounted file (POSTGRES_PASSWORD_FILE): before podman 5.3, inspect shows type=env values.
        var postgres = plan.Units.Single(u => u.Name == ServiceCatalogue.Postgres.Unit).Render();
        Assert.Contains("--secret ztnet-postgres-password,type=mount \\", postgres);
        Assert.Contains("--env POSTGRES_PASSWORD_FILE=/run/secrets/ztnet-postgres-password", postgres);
        Assert.DoesNotContain("type=env", postgres);
    }

    [Fact]
    public void Secret_values_are_piped_from_shell_builtins_never_passed_as_arguments()
    {
        var body = Stacks.Plan(Stacks.Minimal()).Step("podman-secrets").Create.Body;

        // printf is a bash builtin: the value never shows in a process list.
        Assert.Contains("postgres_secret='ztnet-postgres-password'\n", body);
        Assert.Contains("store_secret \"$postgres_secret\" \"$pg_password\"", body);
        Assert.Contains("printf '%s' \"$2\" | podman secret create --replace \"$1\" -", body);
        Assert.DoesNotContain("set -x", body);
        Assert.DoesNotContain("echo \"$pg_password", body);
    }
}
