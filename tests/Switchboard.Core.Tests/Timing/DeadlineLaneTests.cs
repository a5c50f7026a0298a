using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Engine;
using Switchboard.Timing;
using Switchboard.Protocols;

namespace Switchboard.Core.Tests.Timing;

public sealed class DeadlineLaneTests
{
    private readonly FakeTimeProvider _time = new();

    private sealed class Target : IDeadlineTarget
    {
        public List<int> Fired { get; } = [];

        public void OnDeadline(int token, long due) => Fired.Add(token);
    }

    [Fact]
    public void Deadlines_fall_due_in_order_and_cancelled_ones_never_fire()
    {
        using var scheduler = new DeadlineScheduler(_time, TimeSpan.FromHours(1));
        var lane = scheduler.CreateLane(TimeSpan.FromSeconds(10));
        var target = new Target();
        var tickets = new long[40];
        for (var i = 0; i < tickets.Length; i++)
        {
            lane.Schedule(target, i, out tickets[i]);
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }
        for (var i = 0; i < tickets.Length; i += 3)
        {
            lane.Cancel(tickets[i]);
        }
        lane.Expire(_time.GetTimestamp());
        Assert.Empty(target.Fired);
        _time.Advance(TimeSpan.FromSeconds(10));
        lane.Expire(_time.GetTimestamp());
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i % 3 != 0), target.Fired);
        Assert.Equal(0, lane.Count);
        // A ticket that has already fallen due (or never existed) is ignored.
        lane.Cancel(tickets[1]);
        lane.Cancel(12345);
    }

    [Fact]
    public void A_lane_keeps_no_reference_to_a_target_that_fell_due_or_was_cancelled()
    {
        using var scheduler = new DeadlineScheduler(_time, TimeSpan.FromHours(1));
        var lane = scheduler.CreateLane(TimeSpan.FromSeconds(10));
        // An entry that stays scheduled keeps the ring's slots in use around the others.
        var keeper = new Target();
        lane.Schedule(keeper, 0);
        var (fired, cancelled) = ScheduleTwo(lane);
        _time.Advance(TimeSpan.FromSeconds(5));
        lane.Schedule(keeper, 1);
        _time.Advance(TimeSpan.FromSeconds(6));
        lane.Expire(_time.GetTimestamp());
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(fired.TryGetTarget(out _), "a target whose deadline fell due is still referenced");
        Assert.False(cancelled.TryGetTarget(out _), "a cancelled target is still referenced");
        Assert.Equal(1, lane.Count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference<Target> Fired, WeakReference<Target> Cancelled) ScheduleTwo(DeadlineScheduler.Lane lane)
    {
        var fired = new Target();
        var cancelled = new Target();
        lane.Schedule(fired, 0);
        lane.Schedule(cancelled, 0, out var ticket);
        lane.Cancel(ticket);
        return (new WeakReference<Target>(fired), new WeakReference<Target>(cancelled));
    }

    [Fact]
    public void A_closed_session_is_not_kept_by_its_heartbeat_deadlines()
    {
        using var server = new EngineServer(new EngineOptions(), _ => { }, time: _time);
        var gone = OpenAndClose(server);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(gone.TryGetTarget(out _), "a closed session is still referenced");
        Assert.Equal(0, server.SessionCount);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<EngineSession> OpenAndClose(EngineServer server)
    {
        var session = server.Open(EngineTransportKind.WebSocket, new EngineRequest("/engine.io/", new Dictionary<string, string>(), new Dictionary<string, string>(), null, false, DateTimeOffset.UnixEpoch));
        session.Close(DisconnectCode.ClientClosed);
        return new WeakReference<EngineSession>(session);
    }
}
