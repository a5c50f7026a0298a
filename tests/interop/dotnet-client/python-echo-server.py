# The Python twin of the servers in tests/Switchboard.Client.Tests (TestServers.cs): Debian's
# python3-socketio (a third-party Socket.IO server, with aiohttp) with the same handlers, so the .NET
# client is tested against a server neither we nor socket.io's authors wrote. It has no connection state
# recovery (python-socketio 5.7). Usage: python3 python-echo-server.py [port]; prints "listening <port>".
import asyncio
import sys

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode='aiohttp', cors_allowed_origins='*')
app = web.Application()
sio.attach(app)


def handlers(namespace):
    @sio.on('connect', namespace=namespace)
    async def connect(sid, environ, auth):
        if isinstance(auth, dict) and auth.get('refuse'):
            raise socketio.exceptions.ConnectionRefusedError('refused', {'code': 42})
        await sio.save_session(sid, {'user': auth.get('user') if isinstance(auth, dict) else None}, namespace=namespace)

    @sio.on('echo', namespace=namespace)
    async def echo(sid, *args):
        return args

    @sio.on('echo-event', namespace=namespace)
    async def echo_event(sid, *args):
        await sio.emit('echo-event', args, to=sid, namespace=namespace)

    @sio.on('where', namespace=namespace)
    async def where(sid):
        return namespace

    @sio.on('whoami', namespace=namespace)
    async def whoami(sid):
        session = await sio.get_session(sid, namespace=namespace)
        return sid, session.get('user')

    @sio.on('join', namespace=namespace)
    async def join(sid, room):
        sio.enter_room(sid, room, namespace=namespace)
        return True

    @sio.on('publish', namespace=namespace)
    async def publish(sid, room, n):
        await sio.emit('news', n, room=room, namespace=namespace)
        return True

    @sio.on('ask', namespace=namespace)
    async def ask(sid, question):
        return await sio.call('question', question, to=sid, namespace=namespace, timeout=5)

    @sio.on('kill', namespace=namespace)
    async def kill(sid):
        # Ends the Engine.IO connection without a Socket.IO disconnect, as a network failure would.
        await sio.eio.disconnect(sio.manager.eio_sid_from_sid(sid, namespace))


handlers('/')
handlers('/chat')


async def main():
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f'listening {port}', flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
