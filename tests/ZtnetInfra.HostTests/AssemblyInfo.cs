// One VM, one deployment: nothing here may run in parallel.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
