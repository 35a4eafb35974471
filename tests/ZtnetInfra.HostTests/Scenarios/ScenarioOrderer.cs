using Xunit.Abstractions;
using Xunit.Sdk;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>The position of a scenario on the one shared VM (they build on each other's state).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ScenarioAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

/// <summary>
/// The suites of the scenarios: <c>[Trait(ScenarioSuite.Trait, ScenarioSuite.Extended)]</c> keeps a
/// scenario out of the default run (tests/testhost/run-host-tests.sh filters on these names;
/// TESTHOST_EXTENDED=1 runs it too).
/// </summary>
public static class ScenarioSuite
{
    public const string Trait = "Suite";
    public const string Extended = "Extended";
}

/// <summary>Runs a class's tests in <see cref="ScenarioAttribute"/> order.</summary>
public sealed class ScenarioOrderer : ITestCaseOrderer
{
    public const string Name = "ZtnetInfra.HostTests.Scenarios.ScenarioOrderer";
    public const string Assembly = "ZtnetInfra.HostTests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method
            .GetCustomAttributes(typeof(ScenarioAttribute).AssemblyQualifiedName!)
            .FirstOrDefault()?.GetConstructorArguments().FirstOrDefault() as int? ?? int.MaxValue);
}
