using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Transports.Direct;

namespace Switchboard.AspNetCore.Tests.Direct;

/// <summary>
/// The direct mode and Kestrel's HTTPS (docs/deploy.md): placed before <c>UseHttps</c> it sees TLS bytes and
/// passes the connection on, so the handshake takes Kestrel's path; placed after it, it answers over TLS.
/// </summary>
public sealed class DirectWebSocketTlsTests
{
    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task Tls_before_or_after_the_mode(bool httpsFirst, int taken)
    {
        using var certificate = SelfSigned();
        var port = 0;
        await using var host = await TestHost.StartAsync(
            builder =>
            {
                builder.Services.AddSwitchboard();
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
                {
                    if (httpsFirst)
                    {
                        listen.UseHttps(certificate);
                        listen.UseSwitchboardWebSockets();
                    }
                    else
                    {
                        listen.UseSwitchboardWebSockets();
                        listen.UseHttps(certificate);
                    }
                }));
            },
            app => app.MapEngineIO("/engine.io", _ => { }));
        var address = host.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First(a => a.StartsWith("https", StringComparison.Ordinal));
        using var client = new ClientWebSocket();
        client.Options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        await client.ConnectAsync(new Uri(address.Replace("https", "wss", StringComparison.Ordinal) + "/engine.io/?EIO=4&transport=websocket"), CancellationToken.None).Within();
        var buffer = new byte[1024];
        var open = await client.ReceiveAsync(buffer, CancellationToken.None).Within();
        Assert.Equal((byte)'0', buffer[0]);
        Assert.True(open.Count > 10);
        Assert.Equal(taken, host.Services.GetRequiredService<DirectEndpoints>().Taken);
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = static (_, _, _, _) => true });
        var health = await http.GetAsync(address + "/engine.io/?EIO=4&transport=polling").Within();
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
