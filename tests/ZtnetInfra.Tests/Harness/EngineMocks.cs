using System.Collections.Immutable;
using Moq;
using Pulumi;
using Pulumi.Testing;

namespace ZtnetInfra.Tests.Harness;

/// <summary>
/// A Moq <see cref="IMocks"/> that behaves like the providers where the tests need it: inputs
/// come back as state, a RandomPassword's result is a secret of the requested length and
/// alphabet. The mock engine ignores a resource's secret-output list, so the result is wrapped
/// as secret here, as the random provider's schema does.
/// </summary>
public static class EngineMocks
{
    public const string RandomPasswordType = "random:index/randomPassword:RandomPassword";
    public const string CommandType = "command:remote:Command";

    public static Mock<IMocks> Create(List<MockResourceArgs> registered)
    {
        var mocks = new Mock<IMocks>();
        mocks.Setup(m => m.NewResourceAsync(It.IsAny<MockResourceArgs>()))
            .ReturnsAsync((MockResourceArgs a) =>
            {
                lock (registered) registered.Add(a);
                var state = a.Inputs.ToDictionary(kv => kv.Key, kv => kv.Value);
                if (a.Type == RandomPasswordType)
                    state["result"] = Output.CreateSecret(Generated(a.Name!, Convert.ToInt32(a.Inputs["length"], System.Globalization.CultureInfo.InvariantCulture)));
                if (a.Type == CommandType)
                {
                    state["stdout"] = "";
                    state["stderr"] = "";
                    // The provider echoes triggers as an output; the echo is tagged with the resource's
                    // name so that a test can tell a value taken from this output from a copied literal.
                    if (a.Inputs.TryGetValue("triggers", out var triggers))
                        state["triggers"] = ((IEnumerable<object>)triggers).Append(OutputTag(a.Name!)).ToImmutableArray();
                }
                return ($"{a.Name}-id", (object)state.ToImmutableDictionary());
            });
        mocks.Setup(m => m.CallAsync(It.IsAny<MockCallArgs>()))
            .ReturnsAsync((MockCallArgs a) => (object)a.Args);
        mocks.Setup(m => m.RegisterResourceOutputs(It.IsAny<MockRegisterResourceOutputsRequest>()))
            .Returns(Task.CompletedTask);
        return mocks;
    }

    /// <summary>The element the mocked command provider adds to a resource's triggers output.</summary>
    public static string OutputTag(string resourceName) => $"output-of:{resourceName}";

    /// <summary>What the mocked random provider "generates" for a resource: distinctive, letters and digits, stable.</summary>
    public static string Generated(string resourceName, int length)
    {
        var seed = "MockGen" + string.Concat(resourceName.Where(char.IsAsciiLetterOrDigit)) + "Q7";
        var text = string.Concat(Enumerable.Repeat(seed, length / seed.Length + 1));
        return text[..length];
    }
}
