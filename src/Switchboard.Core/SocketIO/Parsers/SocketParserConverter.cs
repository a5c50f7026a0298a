using System.ComponentModel;
using System.Globalization;

namespace Switchboard.SocketIO;

/// <summary>Binds <see cref="SocketServerOptions.Parser"/> from configuration: <c>Switchboard:Parser = msgpack</c>.</summary>
public sealed class SocketParserConverter : TypeConverter
{
    /// <summary>Whether a value of <paramref name="sourceType"/> can name a parser (strings can).</summary>
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    /// <summary>The parser named by a configuration string.</summary>
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string name
            ? SocketParser.FromName(name) ?? throw new FormatException($"Unknown Socket.IO parser '{name}': use 'json' or 'msgpack'.")
            : base.ConvertFrom(context, culture, value);
}
