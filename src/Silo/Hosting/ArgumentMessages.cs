using System.Text.RegularExpressions;

namespace Roundabout.Silo.Hosting;

/// <summary>Argument errors as a person reads them: the command's one-line errors and the silo host's.</summary>
public static partial class ArgumentMessages
{
    /// <summary>
    /// The message without .NET's " (Parameter 'idempotencyKey')", which names a programmer's
    /// parameter, not what a person gave. An exception that crossed from a silo has the suffix in its
    /// message but no <see cref="ArgumentException.ParamName"/> any more, so the suffix is also found by its shape.
    /// </summary>
    public static string WithoutParameterName(ArgumentException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.ParamName is { } name
            ? exception.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
            : ParameterSuffix().Replace(exception.Message, "");
    }

    [GeneratedRegex(@" \(Parameter '[^']*'\)")]
    private static partial Regex ParameterSuffix();
}
