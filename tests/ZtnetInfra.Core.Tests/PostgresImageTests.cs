using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// ztnet:postgresImage is a PostgreSQL 15 image: a data directory cannot move to another major in
/// place (18+ even moves PGDATA), and ZTNet's image ships a 15 client. Refused before any host.
/// </summary>
public class PostgresImageTests
{
    [Theory]
    [InlineData("docker.io/library/postgres:16.4-alpine", "the tag says 16")]
    [InlineData("docker.io/library/postgres:18-alpine", "the tag says 18")]
    [InlineData("docker.io/library/postgres:alpine", "the tag says no version")]
    [InlineData("docker.io/library/mariadb:15.1", "a repository named postgres")]
    [InlineData("docker.io/bitnami/postgresql:15.8.0", "a repository named postgres")]
    public void Another_major_or_another_database_is_refused_with_the_key_named(string image, string reason)
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With(("postgresImage", image)));

        Assert.Null(settings);
        var e = Assert.Single(errors);
        Assert.Equal("ztnet:postgresImage", e.Key);
        Assert.Contains(reason, e.Problem);
    }

    [Theory]
    [InlineData("docker.io/library/postgres:15.19-alpine")]
    [InlineData("docker.io/library/postgres:15")]
    [InlineData("registry.example.org:5000/mirror/postgres:15.8@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    // A digest alone names no version: the unit step compares the image's PG_MAJOR with the data on the host.
    [InlineData("registry.example.org:5000/mirror/postgres@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void A_PostgreSQL_15_image_is_accepted(string image)
    {
        var (settings, errors) = SettingsReader.TryRead(Stacks.With(("postgresImage", image)));

        Assert.Empty(errors);
        Assert.Equal(image, settings!.PostgresImage);
    }

    [Fact]
    public void The_unit_step_checks_the_kept_data_against_the_image_and_dumps_before_an_image_change()
    {
        var body = Stacks.Plan(Stacks.With(("backupsToKeep", "7"))).Step("unit-postgres").Create.Body;

        Assert.Contains("sed -n 's/^PG_MAJOR=//p'", body);
        Assert.Contains("PG_VERSION", body);
        Assert.Contains("pg_dump -U \"$db_superuser\" -d \"$db_name\" --format=custom", body);
        Assert.Contains("db_superuser='postgres'\n", body);
        Assert.Contains("keep='7'\n", body);
        // The guard comes before the unit file is written (a refusal changes nothing).
        Assert.True(body.IndexOf("PG_VERSION", StringComparison.Ordinal) < body.IndexOf("write_file \"$HOME/.config/systemd/user/", StringComparison.Ordinal));
    }
}
