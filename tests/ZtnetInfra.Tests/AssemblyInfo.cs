using Xunit;

// The mock engine keeps its deployment in process-wide state and config comes from environment
// variables: runs must not overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
