using Microsoft.Extensions.Options;

/// <summary>Which failures of the silo host are settings a person must fix, and how to say so in one line.</summary>
internal static class HostErrors
{
    /// <summary>The settings' problem, or <c>null</c> when the failure is not one of the settings.</summary>
    public static string? SettingsProblem(Exception exception) => exception switch
    {
        // Contradicting or missing cluster settings (SiloClusterSettings names the setting).
        ArgumentException argument => Roundabout.Silo.Hosting.ArgumentMessages.WithoutParameterName(argument),
        OptionsValidationException invalid => invalid.Message,
        // A port another silo listens on: the message names the port and the setting to change.
        Roundabout.Silo.Hosting.PortInUseException inUse => inUse.Message,
        // Storage:DataDirectory held by another silo, or naming a file: change it, or stop the other.
        Roundabout.Silo.Persistence.FileLog.DataDirectoryInUseException held => held.Message,
        // The configuration binder: "Failed to convert configuration value 'abc' at 'Roundabout:GatewayPort' to type 'System.Int32'."
        InvalidOperationException binding when binding.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => binding.Message,
        AggregateException { InnerExceptions.Count: 1 } aggregate => SettingsProblem(aggregate.InnerExceptions[0]),
        _ => null,
    };
}
