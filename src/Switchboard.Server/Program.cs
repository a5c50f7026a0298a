using Switchboard.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSwitchboard();
var app = builder.Build();
app.MapSocketIO();
app.Run();
