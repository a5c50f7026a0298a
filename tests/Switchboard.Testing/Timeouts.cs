namespace Switchboard.Testing;

/// <summary>The one bound of every await in the tests: an event that does not come fails the test, it does not hang it.</summary>
public static class Timeouts
{
    /// <summary>How long any single awaited event may take before the test fails.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(5);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Default);

    public static Task Within(this Task task) => task.WaitAsync(Default);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Default);

    public static Task Within(this ValueTask task) => task.AsTask().WaitAsync(Default);
}
