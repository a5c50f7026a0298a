namespace Switchboard.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisClusterBus"/> (docs/cluster.md, "Scripts"). A publication is one
/// script: it takes the namespace's next sequence number, appends to every channel's stream with the
/// channel scripts' own functions, and PUBLISHes the message to the inbox of every live node with
/// members of its rooms. Redis runs scripts one at a time and delivers a connection's messages in the
/// order they were published, so every node receives the publications of a namespace in sequence order.
/// </summary>
internal static class ClusterScripts
{
    /// <summary>
    /// Live nodes among a set's members, added once to <c>targets</c>. A member whose lease ran out is
    /// dropped from this set and, through its index (<c>node-interest:{node}</c>, kept by
    /// <see cref="AddInterest"/>), from every other interest set it was in, so a dead node's entries do
    /// not outlive it in rooms nobody publishes to. KEYS[2] is always the node table: node id → lease end
    /// in ms (Redis TIME); the prefix is read off its name.
    /// </summary>
    private const string Targets = """
        local nowTime = redis.call('TIME')
        local nowMs = tonumber(nowTime[1]) * 1000 + math.floor(tonumber(nowTime[2]) / 1000)
        local targets, seen = {}, {}
        local nodeIndexPrefix = string.sub(KEYS[2], 1, -6) .. 'node-interest:'
        local function alive(node)
          local lease = redis.call('ZSCORE', KEYS[2], node)
          return lease and tonumber(lease) > nowMs
        end
        local function forget(node)
          local index = nodeIndexPrefix .. node
          for _, set in ipairs(redis.call('SMEMBERS', index)) do redis.call('SREM', set, node) end
          redis.call('DEL', index)
        end
        local function add_members(set, origin)
          for _, node in ipairs(redis.call('SMEMBERS', set)) do
            if not seen[node] then
              seen[node] = true
              if alive(node) then
                if node ~= origin then targets[#targets + 1] = node end
              else
                redis.call('SREM', set, node)
                forget(node)
              end
            end
          end
        end
        local function add_all(origin)
          for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. nowMs, '+inf')) do
            if node ~= origin then targets[#targets + 1] = node end
          end
        end

        """;

    /// <summary>
    /// KEYS[1] the namespace's sequence hash, KEYS[2] the node table, then two keys (stream, meta) per
    /// channel, then one interest set per room. ARGV[1] a fresh epoch, ARGV[2] now in µs, ARGV[3] idle
    /// expiry in ms (as the channel scripts), ARGV[4] channel count, ARGV[5] room count, ARGV[6] the
    /// inbox prefix, ARGV[7] the namespace, ARGV[8] the cluster generation the node follows (the last KEY
    /// holds Redis's; a mismatch returns the error <c>NOGEN &lt;generation found&gt;</c> and writes nothing),
    /// ARGV[9] and ARGV[10] the highest sequence epoch and number the node has seen, then (name, size,
    /// ttl µs, bytes, epoch seen, offset seen) per channel, the room names, and
    /// the stream entry's fields (docs/redis.md). The inbox message's body (docs/cluster.md) is written
    /// here from those fields, so the arguments go to Redis once. Returns {sequence epoch, seq, name,
    /// offset, epoch, …}.
    /// </summary>
    public const string Publish = ChannelScripts.Prelude + Targets + """
        -- Fencing (docs/decisions/0007): only a server holding the cluster's generation takes a
        -- publication. An empty server that believes it is the primary has none, and writes nothing.
        local generation = redis.call('GET', KEYS[#KEYS])
        if generation ~= ARGV[8] then
          return redis.error_reply('NOGEN ' .. (generation or ''))
        end
        local channels, rooms = tonumber(ARGV[4]), tonumber(ARGV[5])
        local seqEpoch = redis.call('HGET', KEYS[1], 'epoch')
        if seqEpoch == ARGV[9] and tonumber(redis.call('HGET', KEYS[1], 'seq') or '0') < tonumber(ARGV[10]) then
          -- Behind what the node has seen in this epoch: a promoted replica that lacked the last writes.
          -- A new epoch, so no recovery continues from numbers that would now mean other publications.
          seqEpoch = nil
        end
        if not seqEpoch then
          seqEpoch = ARGV[1]
          redis.call('DEL', KEYS[1])
          redis.call('HSET', KEYS[1], 'epoch', seqEpoch)
        end
        local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
        local now = tonumber(ARGV[2])
        local fieldsAt = 11 + 6 * channels + rooms
        local fields, entry = {'seq', tostring(seq)}, {}
        for i = fieldsAt, #ARGV do fields[#fields + 1] = ARGV[i] end
        for i = fieldsAt, #ARGV - 1, 2 do entry[ARGV[i]] = ARGV[i + 1] end

        local result = {seqEpoch, seq}
        local positions = {}
        for c = 1, channels do
          log, meta = KEYS[1 + 2 * c], KEYS[2 + 2 * c]
          local at = 11 + 6 * (c - 1)
          local epoch = open()
          if epoch == ARGV[at + 4] and top() < tonumber(ARGV[at + 5]) then
            -- The same for the channel: a new, empty epoch rather than offsets clients have seen.
            redis.call('DEL', log, meta)
            epoch = open()
          end
          local offset = redis.call('HINCRBY', meta, 'top', 1)
          append(offset, fields)
          redis.call('HSET', meta, 'ttl', ARGV[at + 2])
          trim_size(tonumber(ARGV[at + 1]))
          trim_bytes(tonumber(ARGV[at + 3]))
          trim_age(now)
          expire(now)
          positions[#positions + 1] = {ARGV[at], offset, epoch}
          result[#result + 1] = ARGV[at]
          result[#result + 1] = offset
          result[#result + 1] = epoch
        end

        local roomNames = {}
        for r = 1, rooms do
          roomNames[r] = ARGV[10 + 6 * channels + r]
          add_members(KEYS[2 + 2 * channels + r], '')
        end
        if #targets > 0 then
          local header = cjson.encode({t = 'p', nsp = ARGV[7], epoch = seqEpoch, seq = seq, pos = positions, rooms = roomNames})
          -- The arguments (and except, a JSON array) are spliced in as they are, byte for byte.
          local body = '{"event":' .. cjson.encode(entry.event) .. ',"args":' .. entry.args .. ',"except":' .. (entry.except or '[]')
          if entry.publisher then body = body .. ',"publisher":' .. cjson.encode(entry.publisher) end
          body = body .. ',"time":' .. entry.time .. '}'
          local message = header .. '\n' .. body
          for _, node in ipairs(targets) do
            redis.call('PUBLISH', ARGV[6] .. node, message)
          end
        end
        return result
        """;

    /// <summary>
    /// KEYS[1] the namespace's sequence hash, then (stream, meta) per channel, then the generation key.
    /// ARGV[1] a fresh epoch, ARGV[2] now in µs, ARGV[3] idle expiry in ms, ARGV[4] the generation the node
    /// follows, ARGV[5] the sequence epoch to replace ('' for none), then the epoch to replace per channel.
    /// Each is replaced by a new, empty one only while it is still the one named; a server without the
    /// node's generation is left alone. Returns how many were replaced.
    /// </summary>
    public const string RestartRewound = ChannelScripts.Prelude + """
        if redis.call('GET', KEYS[#KEYS]) ~= ARGV[4] then return 0 end
        local replaced = 0
        if ARGV[5] ~= '' and redis.call('HGET', KEYS[1], 'epoch') == ARGV[5] then
          redis.call('DEL', KEYS[1])
          redis.call('HSET', KEYS[1], 'epoch', ARGV[1])
          replaced = replaced + 1
        end
        for c = 1, (#KEYS - 2) / 2 do
          log, meta = KEYS[2 * c], KEYS[2 * c + 1]
          if redis.call('HGET', meta, 'epoch') == ARGV[5 + c] then
            redis.call('DEL', log, meta)
            open()
            expire(tonumber(ARGV[2]))
            replaced = replaced + 1
          end
        end
        return replaced
        """;

    /// <summary>
    /// KEYS[2] the node table, KEYS[3..] the interest sets of the rooms (none: every node). ARGV[1] the
    /// origin node (not sent to), ARGV[2] the inbox prefix, ARGV[3] the message. Returns the node count.
    /// </summary>
    public const string Broadcast = Targets + """
        if #KEYS < 3 then
          add_all(ARGV[1])
        else
          for k = 3, #KEYS do add_members(KEYS[k], ARGV[1]) end
        end
        for _, node in ipairs(targets) do
          redis.call('PUBLISH', ARGV[2] .. node, ARGV[3])
        end
        return #targets
        """;

    /// <summary>
    /// KEYS[1] the node table. ARGV[1] node id, ARGV[2] lease in ms. Drops every node whose lease ran out
    /// from the interest sets its index names (<c>node-interest:{node}</c>, then gone), so a dead node
    /// leaves rooms nobody publishes to as well; drops nodes dead for an hour from the table. Returns 1
    /// when the node's own lease had run out or was gone (others may have dropped it from their rooms' sets).
    /// </summary>
    /// <summary>KEYS[1] the nodes' lease set: how many leases have not run out, by Redis' clock.</summary>
    public const string LiveNodes = """
        local t = redis.call('TIME')
        local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        return redis.call('ZCOUNT', KEYS[1], '(' .. nowMs, '+inf')
        """;

    public const string Heartbeat = """
        local t = redis.call('TIME')
        local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
        local nodeIndexPrefix = string.sub(KEYS[1], 1, -6) .. 'node-interest:'
        for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', nowMs)) do
          if dead ~= ARGV[1] then
            local index = nodeIndexPrefix .. dead
            for _, set in ipairs(redis.call('SMEMBERS', index)) do redis.call('SREM', set, dead) end
            redis.call('DEL', index)
          end
        end
        redis.call('ZADD', KEYS[1], nowMs + tonumber(ARGV[2]), ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs - 3600000)
        if not old or tonumber(old) <= nowMs then return 1 end
        return 0
        """;

    /// <summary>
    /// KEYS[1] a room's interest set, KEYS[2] the node's index of its interest sets
    /// (<c>node-interest:{node}</c>); ARGV[1] the node. The node joins the set, and the index names it.
    /// </summary>
    public const string AddInterest = """
        redis.call('SADD', KEYS[1], ARGV[1])
        redis.call('SADD', KEYS[2], KEYS[1])
        return 1
        """;

    /// <summary>The reverse of <see cref="AddInterest"/>, with the same keys and arguments.</summary>
    public const string RemoveInterest = """
        redis.call('SREM', KEYS[1], ARGV[1])
        redis.call('SREM', KEYS[2], KEYS[1])
        return 1
        """;

    /// <summary>
    /// A clean leave. KEYS[1] the node table, KEYS[2] the node's index of its interest sets; ARGV[1] the
    /// node. Drops its lease and its entries in every interest set at once.
    /// </summary>
    public const string Leave = """
        redis.call('ZREM', KEYS[1], ARGV[1])
        for _, set in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('SREM', set, ARGV[1]) end
        redis.call('DEL', KEYS[2])
        return 1
        """;

    /// <summary>KEYS[1] the sequence hash; ARGV[1] a fresh epoch. Returns the namespace's sequence epoch.</summary>
    public const string SequenceEpoch = """
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        if epoch then return epoch end
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'epoch', ARGV[1])
        return ARGV[1]
        """;

    /// <summary>
    /// A session write that only its owner may make. KEYS[1] the session hash. ARGV[1] owner node, ARGV[2]
    /// ttl ms, ARGV[3] 'save' | 'disconnected' | 'remove', then field/value pairs to set.
    /// </summary>
    public const string SessionWrite = """
        local owner = redis.call('HGET', KEYS[1], 'owner')
        if owner and owner ~= ARGV[1] then return 0 end
        if ARGV[3] == 'remove' then
          redis.call('DEL', KEYS[1])
          return 1
        end
        if #ARGV > 3 then redis.call('HSET', KEYS[1], 'owner', ARGV[1], unpack(ARGV, 4)) end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """;

    /// <summary>KEYS[1] the session hash. ARGV[1] the taking node, ARGV[2] ttl ms. Returns its fields, or nil.</summary>
    public const string SessionTake = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return false end
        redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'state', 'connected')
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return redis.call('HGETALL', KEYS[1])
        """;
}
