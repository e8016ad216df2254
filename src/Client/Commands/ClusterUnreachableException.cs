namespace Roundabout.Client.Commands;

/// <summary>No gateway answered.</summary>
internal sealed class ClusterUnreachableException(string message, Exception? inner) : Exception(message, inner);
