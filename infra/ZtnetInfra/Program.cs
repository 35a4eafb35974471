using Pulumi;
using ZtnetInfra;

return await Deployment.RunAsync<ZtnetProgram>();
