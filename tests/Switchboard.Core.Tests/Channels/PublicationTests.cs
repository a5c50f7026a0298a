using System.Text;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.Channels;

public sealed class PublicationTests
{
    [Fact]
    public void Received_binary_arguments_become_base64_in_the_json_forms()
    {
        var json = """[{"name":"a.bin","bytes":{"_placeholder":true,"num":0}},[1,{"_placeholder":true,"num":1}],"x"]"""u8.ToArray();
        Assert.True(SocketArguments.TryCreate(json, hasName: false, [new byte[] { 1, 2, 3 }, new byte[] { 255 }], out _, out var args));
        var received = new Publication(1, "file", [args], [], null, DateTimeOffset.UnixEpoch);

        Assert.Equal("""[{"name":"a.bin","bytes":"AQID"},[1,"/w=="],"x"]""", Encoding.UTF8.GetString(received.Data.Span));
        Assert.Equal("""[{"name":"a.bin","bytes":"AQID"},[1,"/w=="],"x"]""", Encoding.UTF8.GetString(received.ArgumentsJson.Span));
    }
}
