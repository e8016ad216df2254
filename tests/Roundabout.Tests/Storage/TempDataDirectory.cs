namespace Roundabout.Tests.Storage;

/// <summary>A fresh directory under the system temp directory, deleted on dispose.</summary>
internal sealed class TempDataDirectory : IDisposable
{
    public TempDataDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "roundabout-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Copies this directory's files into a new temporary directory (one case of a test that damages files).</summary>
    public TempDataDirectory Copy()
    {
        var copy = new TempDataDirectory();
        foreach (var file in Directory.GetFiles(Path))
        {
            File.Copy(file, System.IO.Path.Combine(copy.Path, System.IO.Path.GetFileName(file)));
        }

        return copy;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
