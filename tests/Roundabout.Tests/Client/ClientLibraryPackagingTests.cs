using System.Reflection;
using Roundabout.Client.Library;

namespace Roundabout.Tests.Client;

/// <summary>
/// A program that references the client library gets the library, not the `roundabout` command:
/// a user trial found the library inside the command's executable, bringing its console packages along.
/// </summary>
public sealed class ClientLibraryPackagingTests
{
    private static readonly Assembly Library = typeof(RoundaboutClient).Assembly;

    [Fact]
    public void TheLibrary_IsAnAssemblyOfItsOwn_NotTheCommand()
    {
        Assert.Equal("Roundabout.Client", Library.GetName().Name);
        Assert.Null(Library.EntryPoint);
        Assert.Same(Library, typeof(Roundabout.Client.Embedded.EmbeddedSilo).Assembly);
    }

    /// <summary>The embedded silo's storage comes from a library too, not from the silo's executable.</summary>
    [Fact]
    public void TheSilosStorage_IsALibrary_NotTheSiloProcess()
    {
        var storage = typeof(Roundabout.Silo.Hosting.RoundaboutSiloExtensions).Assembly;

        Assert.Equal("Roundabout.Silo", storage.GetName().Name);
        Assert.Null(storage.EntryPoint);
        Assert.Contains("Roundabout.Silo", Library.GetReferencedAssemblies().Select(reference => reference.Name));
    }

    /// <summary>
    /// What a program that references the library gets: the library's dependencies as the build
    /// recorded them (the test's deps.json). Referenced assemblies would not do: they list only
    /// what the library's code calls, not a package it references and never uses.
    /// </summary>
    [Theory]
    [InlineData("roundabout")]
    [InlineData("System.CommandLine")]
    [InlineData("Spectre.Console")]
    public void TheLibrary_DoesNotDependOnTheCommandOrItsConsolePackages(string dependency)
    {
        var library = Microsoft.Extensions.DependencyModel.DependencyContext.Default!.RuntimeLibraries.Single(candidate => candidate.Name == "Roundabout.Client");

        Assert.Contains("Roundabout.Grains", library.Dependencies.Select(d => d.Name));
        Assert.DoesNotContain(dependency, library.Dependencies.Select(d => d.Name));
    }
}
