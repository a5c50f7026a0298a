using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Switchboard.AspNetCore.Auth;

/// <summary>Reads a claim that lists channel patterns: a JSON array of strings, or one space-separated string (like OAuth's <c>scope</c>).</summary>
internal static class JwtChannelClaims
{
    /// <summary>The most patterns one claim may list.</summary>
    public const int MaxPatterns = 100;

    /// <summary>An absent claim is an empty list; any other shape is a problem.</summary>
    public static bool TryRead(JsonWebToken jwt, string claim, out string[] patterns, [NotNullWhen(false)] out string? problem)
    {
        patterns = [];
        problem = null;
        if (!jwt.TryGetPayloadValue<object>(claim, out var value) || value is null)
        {
            return true;
        }
        var list = new List<string>();
        switch (value)
        {
            case string text:
                list.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                break;
            case JsonElement { ValueKind: JsonValueKind.Array } array:
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String || GetString(item) is not { Length: > 0 } pattern)
                    {
                        problem = $"The token's {claim} claim must list non-empty strings.";
                        return false;
                    }
                    list.Add(pattern);
                }
                break;
            default:
                problem = $"The token's {claim} claim must be an array of strings or a space-separated string.";
                return false;
        }
        if (list.Count > MaxPatterns)
        {
            problem = $"The token's {claim} claim lists more than {MaxPatterns} patterns.";
            return false;
        }
        patterns = [.. list];
        return true;
    }

    /// <summary>The string's value, or null when its bytes are not UTF-8: a valid signature says nothing about that.</summary>
    private static string? GetString(JsonElement item)
    {
        try
        {
            return item.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
