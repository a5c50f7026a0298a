using System.Text;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.SocketIO;

/// <summary>The query of a revision-4 CONNECT (<c>0/chat?token=abc,</c>) becomes the handshake's auth, as socket.io 4 reads it with URLSearchParams.</summary>
public class V3ConnectQueryTests
{
    private static string Auth(string query) => Encoding.UTF8.GetString(SocketClient.QueryAsAuth(query));

    [Theory]
    [InlineData("token=abc", "{\"token\":\"abc\"}")]
    [InlineData("a=1&b=two", "{\"a\":\"1\",\"b\":\"two\"}")]
    [InlineData("x=1&x=2", "{\"x\":\"2\"}")] // the last value wins, as Object.fromEntries keeps it
    [InlineData("flag&empty=", "{\"flag\":\"\",\"empty\":\"\"}")]
    [InlineData("name=J+Doe&e=%C3%A9%26", "{\"name\":\"J Doe\",\"e\":\"é&\"}")]
    [InlineData("bad=%E0%A4%A", "{\"bad\":\"%E0%A4%A\"}")] // a broken escape stays as written
    [InlineData("Token=X", "{\"Token\":\"X\"}")] // names are kept as sent
    [InlineData("", "{}")]
    [InlineData("&&a=1&", "{\"a\":\"1\"}")]
    public void The_query_becomes_an_object_of_strings(string query, string json)
    {
        Assert.Equal(json, Auth(query));
    }
}
