using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Switchboard.AspNetCore.Auth;
using Switchboard.AspNetCore.SocketChannels;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Tests.SocketChannels;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.Auth;

/// <summary>
/// A host configured like the standalone server (Switchboard:Auth from configuration, a JWKS file and a PEM
/// file): RS256 and ES256 tokens connect over Socket.IO, a token of a key not configured is refused.
/// </summary>
public sealed class JwtKeysOverTheWireTests(TestTokens tokens) : IClassFixture<TestTokens>, IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sb-keys-").FullName;
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "issuer.jwks.json"), tokens.Jwks());
        await File.WriteAllTextAsync(Path.Combine(_directory, "extra.pem"), tokens.EcPublicPem);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Switchboard:Auth:JwksFile"] = Path.Combine(_directory, "issuer.jwks.json"),
            ["Switchboard:Auth:PublicKeyFiles:0"] = Path.Combine(_directory, "extra.pem"),
            ["Switchboard:Auth:Issuer"] = "https://auth.example",
        }).Build();
        _host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard().Services.AddSwitchboardJwt(configuration.GetSection(JwtAuthorizerOptions.SectionName)),
            app => app.MapSocketIO("/socket.io", io => io.UseChannelEvents(app.Services)));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static string Token(SigningCredentials credentials) =>
        TestTokens.Create(credentials, subscribe: "prices.*", issuer: "https://auth.example", issuedAt: DateTimeOffset.UtcNow);

    [Fact]
    public async Task RS256_and_ES256_tokens_from_the_configured_keys_connect_with_their_grant()
    {
        await using var rsa = await ChannelSocket.ConnectAsync(_host, Token(tokens.Rs256(kid: "rsa-1")));
        await using var ec = await ChannelSocket.ConnectAsync(_host, Token(tokens.Es256()));

        var ack = await rsa.EmitWithAckAsync("subscribe", new { channel = "prices.AAPL" });
        Assert.True(ack.GetProperty("ok").GetBoolean());
        Assert.Equal(["prices.*"], SocketIOFixture.ServerSocket(_host.Services.GetRequiredService<SocketServer>().Main, ec.Id).GetChannelGrant()!.Subscribe);
        _host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_token_signed_by_a_key_not_configured_is_refused_as_invalid()
    {
        var error = await ChannelSocket.ConnectRefusedAsync(_host, ChannelSocket.Json(new { token = Token(tokens.Rs256(tokens.OtherRsa, kid: "rsa-1")) }));

        Assert.Equal("token_invalid", error.GetProperty("data").GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.String, error.GetProperty("data").GetProperty("message").ValueKind);
        _host.Logs.AssertNoErrors();
    }
}
