using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orleans.Configuration;
using Roundabout.Client;
using Roundabout.Silo.Hosting;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Silo.Persistence.Postgres;

namespace Roundabout.Tests.Deployment;

/// <summary>
/// docker-compose.yml, deploy/kubernetes and deploy/Dockerfile name settings, options, projects and
/// assemblies that live in the code. A rename there would leave a container that starts with a
/// setting silently ignored (configuration binding skips unknown keys) or a command that refuses
/// its arguments; these tests name the file and the word instead. (The files themselves were
/// checked against the Compose schema and with `kubectl kustomize`: docs/deployment.md.)
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string Root = FindRoot();

    /// <summary>The files that configure the silo host through environment variables.</summary>
    public static TheoryData<string> DeploymentFiles => ["docker-compose.yml", "deploy/kubernetes/silo.yaml", "deploy/Dockerfile"];

    [Theory]
    [MemberData(nameof(DeploymentFiles))]
    public void EnvironmentVariables_EachNameASettingTheSiloHostReads(string file)
    {
        var text = File.ReadAllText(Path.Combine(Root, file));
        Assert.NotEmpty(EnvironmentVariable().Matches(text));
        foreach (Match variable in EnvironmentVariable().Matches(text))
        {
            var key = variable.Groups["key"].Value.Replace("__", ":", StringComparison.Ordinal);
            Assert.True(KnownSettings.Contains(key), $"{file}: Roundabout__{variable.Groups["key"].Value} is not a setting of the silo host (known: {string.Join(", ", KnownSettings.Order())})");
        }
    }

    [Fact]
    public void ClusteringValues_AreClusteringModes()
    {
        var seen = 0;
        foreach (var file in new[] { "docker-compose.yml", "deploy/kubernetes/silo.yaml" })
        {
            var text = File.ReadAllText(Path.Combine(Root, file));
            foreach (Match value in ClusteringValue().Matches(text))
            {
                Assert.True(Enum.TryParse<SiloClustering>(value.Groups["value"].Value, ignoreCase: true, out _), $"{file}: clustering '{value.Groups["value"].Value}'");
                seen++;
            }
        }

        Assert.Equal(2, seen);
    }

    [Theory]
    [InlineData("docker-compose.yml", "command")]
    [InlineData("deploy/kubernetes/bank-demo.yaml", "args")]
    public void CommandLines_ParseWithoutErrors(string file, string field)
    {
        var text = File.ReadAllText(Path.Combine(Root, file));
        var line = Regex.Match(text, $@"^\s*{field}: (\[.*\])\s*$", RegexOptions.Multiline);
        Assert.True(line.Success, $"{file} has no {field}: line");

        // Kubernetes fills $(DATABASE) from a secret.
        var args = JsonSerializer.Deserialize<string[]>(line.Groups[1].Value)!
            .Select(arg => arg == "$(DATABASE)" ? "Host=postgres;Username=roundabout;Password=x;Database=roundabout" : arg)
            .ToArray();
        var parse = RoundaboutCli.Create().Parse(args);
        Assert.True(parse.Errors.Count == 0, $"{file}: `roundabout {string.Join(' ', args)}`: {string.Join("; ", parse.Errors.Select(error => error.Message))}");
    }

    [Fact]
    public void ReadinessProbes_TestTheFileTheSilosAreToldToWrite()
    {
        foreach (var file in new[] { "docker-compose.yml", "deploy/kubernetes/silo.yaml" })
        {
            var text = File.ReadAllText(Path.Combine(Root, file));
            var readyFile = Regex.Match(text, @"Roundabout__ReadyFile(?::\s*|\s*\n\s*value:\s*)(\S+)");
            Assert.True(readyFile.Success, $"{file} sets no Roundabout__ReadyFile");
            Assert.Contains($"\"test\", \"-f\", \"{readyFile.Groups[1].Value}\"", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Dockerfile_PublishesProjectsThatExist_AndRunsTheAssembliesTheyBuild()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "deploy", "Dockerfile"));
        var projects = Regex.Matches(dockerfile, @"dotnet publish (\S+\.csproj)").Select(match => match.Groups[1].Value).ToArray();
        Assert.Equal(2, projects.Length);
        Assert.All(projects, project => Assert.True(File.Exists(Path.Combine(Root, project)), $"deploy/Dockerfile publishes {project}, which does not exist"));

        Assert.Contains($"/app/silo/{AssemblyName("src/Silo/Host/Roundabout.Silo.Host.csproj")}.dll", dockerfile, StringComparison.Ordinal);
        var cli = $"/app/cli/{typeof(RoundaboutCli).Assembly.GetName().Name}.dll";
        Assert.Contains(cli, File.ReadAllText(Path.Combine(Root, "docker-compose.yml")), StringComparison.Ordinal);
        Assert.Contains(cli, File.ReadAllText(Path.Combine(Root, "deploy", "kubernetes", "bank-demo.yaml")), StringComparison.Ordinal);
    }

    /// <summary>What src/Silo/Host/Program.cs binds, as configuration keys below "Roundabout".</summary>
    private static readonly HashSet<string> KnownSettings =
    [
        .. Properties<SiloClusterSettings>(""),
        ReadinessFileExtensions.SettingName,
        .. Properties<PostgresStoreOptions>("Postgres:"),
        .. Properties<GroupCommitOptions>("Storage:"),
        .. Properties<ClusterMembershipOptions>("Membership:"),
    ];

    private static IEnumerable<string> Properties<T>(string prefix) =>
        typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(property => property.CanWrite).Select(property => prefix + property.Name);

    private static string AssemblyName(string project) =>
        Regex.Match(File.ReadAllText(Path.Combine(Root, project)), "<AssemblyName>(.+)</AssemblyName>").Groups[1].Value is { Length: > 0 } name
            ? name
            : Path.GetFileNameWithoutExtension(project);

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Orleans.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Orleans.sln not found above the test output.");
    }

    [GeneratedRegex(@"Roundabout__(?<key>[A-Za-z0-9_]+)")]
    private static partial Regex EnvironmentVariable();

    [GeneratedRegex(@"Roundabout__Clustering(?::\s*|\s*\n\s*value:\s*)(?<value>\w+)")]
    private static partial Regex ClusteringValue();
}
