using System.Buffers.Text;
using System.Security.Cryptography;

namespace Switchboard.Engine;

/// <summary>
/// Session and socket ids: 15 bytes from the system's cryptographic generator as 20 base64url
/// characters, the same shape as before. The random bytes are drawn for 64 ids at a time per thread,
/// and encoded straight into the id string, so an id costs one string and no generator call.
/// </summary>
internal static class SessionIds
{
    private const int IdBytes = 15;
    private const int IdsPerFill = 64;

    [ThreadStatic] private static byte[]? t_random;
    [ThreadStatic] private static int t_next;

    public static string Next()
    {
        var random = t_random;
        var next = t_next;
        if (random is null || next == random.Length)
        {
            random = t_random ??= new byte[IdBytes * IdsPerFill];
            RandomNumberGenerator.Fill(random);
            next = 0;
        }
        var bytes = random.AsSpan(next, IdBytes);
        t_next = next + IdBytes;
        var id = Base64Url.EncodeToString(bytes);
        // Used bytes are not left behind for anyone reading this thread's memory later.
        bytes.Clear();
        return id;
    }
}
