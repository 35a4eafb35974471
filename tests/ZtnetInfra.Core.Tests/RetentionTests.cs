using ZtnetInfra.Cli;

namespace ZtnetInfra.Core.Tests;

/// <summary>What a reviewer of the render sees about kept data: the retained steps, marked as such.</summary>
public class RetentionTests
{
    [Fact]
    public void The_plan_marks_the_steps_retained_on_delete_and_only_those()
    {
        var config = Stacks.Minimal();
        var plan = Renderer.PlanDocument(Stacks.Plan(config), config);

        var retained = plan.Split('\n').Where(l => l.Contains("(retained on delete: destroy runs nothing)", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, retained.Count);
        Assert.Contains(retained, l => l.Contains("| `service-account` |", StringComparison.Ordinal));
        Assert.Contains(retained, l => l.Contains("| `data-dirs` |", StringComparison.Ordinal));

        var purge = Stacks.With(("retainDataOnDestroy", "false"));
        Assert.DoesNotContain("(retained on delete", Renderer.PlanDocument(Stacks.Plan(purge), purge));
    }
}
