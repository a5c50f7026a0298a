using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Writes floating-point numbers as JavaScript's <c>JSON.stringify</c> does: <c>NaN</c> and the infinities
/// become <c>null</c> (System.Text.Json would throw), and <c>-0</c> becomes <c>0</c>. Reading is unchanged.
/// </summary>
internal sealed class JavaScriptDoubleConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (!double.IsFinite(value))
        {
            writer.WriteNullValue();
        }
        else
        {
            // -0.0 == 0.0, so this also turns -0 into 0.
            writer.WriteNumberValue(value == 0 ? 0d : value);
        }
    }
}

/// <inheritdoc cref="JavaScriptDoubleConverter"/>
internal sealed class JavaScriptSingleConverter : JsonConverter<float>
{
    public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetSingle();

    public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
    {
        if (!float.IsFinite(value))
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteNumberValue(value == 0 ? 0f : value);
        }
    }
}
