using Switchboard.Engine;

namespace Switchboard.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A polling request that reached the server (<see cref="RequestWatcher"/>) is not yet held by its
/// session: the endpoint may still be looking the session up, and whatever the test does next (move a
/// clock, close the session, send a second request) can overtake it. Tests that mean "while the request
/// is held" wait for the session to hold it. The endpoint raises no event for that: these are bounded
/// waits on the session's state.
/// </summary>
public static class HeldRequests
{
    /// <summary>Returns once the session holds a poll (GET); fails the test after the default timeout.</summary>
    public static void WaitUntilPollHeld(this EngineSession session) =>
        Assert.True(SpinWait.SpinUntil(() => session.PollPending, Timeouts.Default), $"session {session.Id} never held the poll");

    /// <summary>Returns once the session is handling a POST; fails the test after the default timeout.</summary>
    public static void WaitUntilPostHeld(this EngineSession session) =>
        Assert.True(SpinWait.SpinUntil(() => session.PostPending, Timeouts.Default), $"session {session.Id} never took the POST");
}
