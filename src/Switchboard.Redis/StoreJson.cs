using System.Text.Json.Serialization;

namespace Switchboard.Redis;

/// <summary>The JSON the store writes itself (the <c>except</c> field), without reflection.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyCollection<string>))]
internal sealed partial class StoreJson : JsonSerializerContext;
