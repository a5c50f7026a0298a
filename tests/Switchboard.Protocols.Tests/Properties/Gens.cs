using System.Text;
using CsCheck;

namespace Switchboard.Protocols.Tests.Properties;

/// <summary>Generators shared by the codec properties.</summary>
internal static class Gens
{
    /// <summary>How many cases each property samples: enough to find shallow faults, cheap on two cores.</summary>
    public const long Iterations = 2_000;

    /// <summary>Any bytes, short.</summary>
    public static readonly Gen<byte[]> Bytes = Gen.Byte.Array[0, 64];

    /// <summary>
    /// Bytes made of pieces of the wire format (and a few hostile ones): random bytes alone rarely get
    /// past a parser's first check, these reach its inner branches.
    /// </summary>
    public static Gen<byte[]> Tokens(params string[] pieces)
    {
        string[] hostile = ["\u00e9", "\ud83d\ude00", "\\u0000", "\\ud800", "\"", "\\", " ", "\u001e", "-", "0", "9", "99999999999999999999"];
        var piece = Gen.OneOf(Gen.OneOf([.. pieces, .. hostile]).Select(Encoding.UTF8.GetBytes), Gen.Byte.Array[1, 3]);
        return piece.Array[0, 24].Select(parts => parts.SelectMany(p => p).ToArray());
    }

    /// <summary>Arbitrary bytes, or bytes built from <paramref name="pieces"/>.</summary>
    public static Gen<byte[]> Input(params string[] pieces) => Gen.Frequency((1, Bytes), (3, Tokens(pieces)));

    /// <summary>Strings that UTF-8 round-trips (no lone surrogates), from ASCII to astral characters.</summary>
    public static Gen<string> Text(int min, int max, string alphabet = "abcXYZ019-_ ./,~\"\\é中") =>
        Gen.OneOf(Gen.Char[alphabet].Select(c => c.ToString()), Gen.Const("\ud83d\ude00"), Gen.Const("\u0001"))
            .Array[min, max].Select(parts => string.Concat(parts));
}
