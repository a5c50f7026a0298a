namespace Switchboard.Redis;

/// <summary>
/// The Lua scripts behind <see cref="RedisChannelStore"/> (docs/redis.md, "Scripts"). Each operation is
/// one script, so Redis runs it atomically: a reader never sees an append half done, and two nodes
/// appending to one channel get distinct, consecutive offsets.
/// Every script gets KEYS[1] = the channel's stream, KEYS[2] = its meta hash, ARGV[1] = a fresh epoch
/// (used only when the channel has none), ARGV[2] = now in Unix microseconds (the store's clock, not
/// Redis TIME, so age trimming follows the caller's <see cref="TimeProvider"/>) and ARGV[3] = how long,
/// in milliseconds, the keys of a channel without history outlive its last use (0: forever).
/// </summary>
internal static class ChannelScripts
{
    internal const string Prelude = """
        local log, meta = KEYS[1], KEYS[2]

        local function field(entry, name)
          local fields = entry[2]
          for i = 1, #fields, 2 do
            if fields[i] == name then return fields[i + 1] end
          end
          return nil
        end

        -- The channel's epoch. A channel whose meta hash is gone (never used, expired, flushed) or
        -- whose stream is gone after an append (trimming never deletes the stream, so it was lost)
        -- starts a new epoch with an empty log: nothing from a lost epoch is served under the new one.
        local function open()
          local state = redis.call('HMGET', meta, 'epoch', 'top')
          if state[1] and (state[2] == '0' or redis.call('EXISTS', log) == 1) then return state[1] end
          redis.call('DEL', log, meta)
          redis.call('HSET', meta, 'epoch', ARGV[1], 'top', '0', 'trimmed', '0')
          return ARGV[1]
        end

        -- Both keys expire ARGV[3] ms after the channel's history is empty by age (the newest entry's
        -- time + ttl) or after now, whichever is later: an idle channel is forgotten, as in memory.
        local function expire(now)
          local idle = tonumber(ARGV[3])
          if idle <= 0 then return end
          local emptyAt = now
          local ttl = redis.call('HGET', meta, 'ttl')
          local newest = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)
          if ttl and #newest > 0 then emptyAt = math.max(now, tonumber(field(newest[1], 'time')) + tonumber(ttl)) end
          local ms = string.format('%d', math.min(math.floor((emptyAt - now) / 1000) + idle, 315360000000))
          redis.call('PEXPIRE', meta, ms)
          redis.call('PEXPIRE', log, ms)
        end

        -- Reads in a cluster carry the generation key as KEYS[3] and the node's generation as the last
        -- argument: a server without it (an empty one that believes it is the primary) answers nothing
        -- rather than a new, empty epoch (docs/decisions/0007).
        local function fenced()
          return #KEYS == 3 and redis.call('GET', KEYS[3]) ~= ARGV[#ARGV]
        end

        local function top()
          return tonumber(redis.call('HGET', meta, 'top'))
        end

        -- The bytes an entry counts for against the byte cap: its field names and values.
        local function entry_size(fields)
          local size = 0
          for i = 1, #fields do size = size + #fields[i] end
          return size
        end

        -- Records the largest seq among entries[1..count], which are about to be trimmed, and takes
        -- their bytes off the running total (never below 0: entries appended before the total existed
        -- were not counted). The seq text is stored as it came, so large numbers keep every digit.
        local function note_trimmed(entries, count)
          if count == 0 then return end
          local text = redis.call('HGET', meta, 'trimmed')
          local max, changed, bytes = tonumber(text), false, 0
          for i = 1, count do
            local seqText = field(entries[i], 'seq')
            local seq = tonumber(seqText)
            if seq > max then max, text, changed = seq, seqText, true end
            bytes = bytes + entry_size(entries[i][2])
          end
          if changed then redis.call('HSET', meta, 'trimmed', text) end
          if redis.call('HINCRBY', meta, 'bytes', -bytes) < 0 then redis.call('HSET', meta, 'bytes', '0') end
        end

        -- Appends an entry with these fields at offset, and counts its bytes.
        local function append(offset, fields)
          redis.call('XADD', log, offset .. '-0', unpack(fields))
          redis.call('HINCRBY', meta, 'bytes', entry_size(fields))
        end

        -- Drops the oldest entries until the channel holds at most max bytes (0: no cap).
        local function trim_bytes(max)
          if max <= 0 or tonumber(redis.call('HGET', meta, 'bytes') or '0') <= max then return end
          local excess = tonumber(redis.call('HGET', meta, 'bytes')) - max
          local start, keep = '-', nil
          while true do
            local batch = redis.call('XRANGE', log, start, '+', 'COUNT', 100)
            local n = 0
            while n < #batch and excess > 0 do
              n = n + 1
              excess = excess - entry_size(batch[n][2])
            end
            note_trimmed(batch, n)
            if n < #batch then
              keep = batch[n + 1][1]
              break
            end
            if #batch < 100 then break end
            start = '(' .. batch[#batch][1]
          end
          if keep then
            redis.call('XTRIM', log, 'MINID', keep)
          else
            redis.call('XTRIM', log, 'MAXLEN', 0)
            redis.call('HSET', meta, 'bytes', '0')
          end
        end

        -- Keeps at most size entries (exact MAXLEN).
        local function trim_size(size)
          local excess = redis.call('XLEN', log) - size
          if excess <= 0 then return end
          local head = redis.call('XRANGE', log, '-', '+', 'COUNT', excess)
          note_trimmed(head, #head)
          redis.call('XTRIM', log, 'MAXLEN', size)
        end

        -- Drops the entries at the head of the log older than now - ttl (the ttl of the last append),
        -- up to the first younger one: MINID is that entry's id.
        local function trim_age(now)
          local ttl = redis.call('HGET', meta, 'ttl')
          if not ttl then return end
          local oldest = now - tonumber(ttl)
          -- Nearly always the head is young: one entry tells, without reading a batch.
          local head = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)
          if #head == 0 or tonumber(field(head[1], 'time')) >= oldest then return end
          local start, keep, dropped = '-', nil, false
          while true do
            local batch = redis.call('XRANGE', log, start, '+', 'COUNT', 100)
            local old = 0
            while old < #batch and tonumber(field(batch[old + 1], 'time')) < oldest do old = old + 1 end
            note_trimmed(batch, old)
            dropped = dropped or old > 0
            if old < #batch then
              keep = batch[old + 1][1]
              break
            end
            if #batch < 100 then break end
            start = '(' .. batch[#batch][1]
          end
          if not dropped then return end
          if keep then
            redis.call('XTRIM', log, 'MINID', keep)
          else
            redis.call('XTRIM', log, 'MAXLEN', 0)
          end
        end

        local function reversed(list)
          local out = {}
          for i = #list, 1, -1 do out[#out + 1] = list[i] end
          return out
        end

        """;

    /// <summary>
    /// ARGV[4] history size, ARGV[5] history TTL in microseconds, ARGV[6] history bytes (0: no cap),
    /// ARGV[7..] the entry's field/value pairs. Returns {epoch, offset}.
    /// </summary>
    public const string Append = Prelude + """
        local epoch = open()
        local offset = redis.call('HINCRBY', meta, 'top', 1)
        append(offset, {unpack(ARGV, 7)})
        redis.call('HSET', meta, 'ttl', ARGV[5])
        trim_size(tonumber(ARGV[4]))
        trim_bytes(tonumber(ARGV[6]))
        trim_age(tonumber(ARGV[2]))
        expire(tonumber(ARGV[2]))
        return {epoch, offset}
        """;

    /// <summary>ARGV[4] limit. Returns {epoch, top, 1, the latest entries oldest first}.</summary>
    public const string ReadLatest = Prelude + """
        if fenced() then return redis.error_reply('NOGEN ' .. (redis.call('GET', KEYS[3]) or '')) end
        local epoch = open()
        trim_age(tonumber(ARGV[2]))
        expire(tonumber(ARGV[2]))
        local limit = tonumber(ARGV[4])
        local entries = {}
        if limit > 0 then
          entries = reversed(redis.call('XREVRANGE', log, '+', '-', 'COUNT', limit))
        end
        return {epoch, top(), 1, entries}
        """;

    /// <summary>
    /// ARGV[4] the reader's epoch, ARGV[5] its offset, ARGV[6] limit. Returns {epoch, top, continuous,
    /// entries}: not continuous (and no entries) for another epoch, an offset ahead of top, or when
    /// entries right after the offset were trimmed.
    /// </summary>
    public const string ReadSince = Prelude + """
        if fenced() then return redis.error_reply('NOGEN ' .. (redis.call('GET', KEYS[3]) or '')) end
        local epoch = open()
        trim_age(tonumber(ARGV[2]))
        expire(tonumber(ARGV[2]))
        local last = top()
        local from = tonumber(ARGV[5])
        local firstKept = last + 1
        local first = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)
        if #first > 0 then firstKept = tonumber(string.match(first[1][1], '^(%d+)')) end
        if ARGV[4] ~= epoch or from > last or from + 1 < firstKept then
          return {epoch, last, 0, {}}
        end
        local limit = tonumber(ARGV[6])
        local entries = {}
        if limit > 0 then
          entries = redis.call('XRANGE', log, '(' .. ARGV[5] .. '-0', '+', 'COUNT', limit)
        end
        return {epoch, last, 1, entries}
        """;

    /// <summary>
    /// ARGV[4] a namespace sequence number. Returns {epoch, top, continuous, entries with a greater seq}:
    /// not continuous when an entry with a greater seq was trimmed. Scans from the newest entry back,
    /// since seq grows with the offset within a channel (the hub appends in namespace order).
    /// </summary>
    public const string ReadAfterSeq = Prelude + """
        if fenced() then return redis.error_reply('NOGEN ' .. (redis.call('GET', KEYS[3]) or '')) end
        local epoch = open()
        trim_age(tonumber(ARGV[2]))
        expire(tonumber(ARGV[2]))
        local seq = tonumber(ARGV[4])
        if tonumber(redis.call('HGET', meta, 'trimmed')) > seq then
          return {epoch, top(), 0, {}}
        end
        local newer, start = {}, '+'
        while true do
          local batch = redis.call('XREVRANGE', log, start, '-', 'COUNT', 100)
          local done = #batch < 100
          for _, entry in ipairs(batch) do
            if tonumber(field(entry, 'seq')) <= seq then
              done = true
              break
            end
            newer[#newer + 1] = entry
          end
          if done then break end
          start = '(' .. batch[#batch][1]
        end
        return {epoch, top(), 1, reversed(newer)}
        """;

    /// <summary>Returns {epoch, top}, creating the epoch when the channel has none.</summary>
    public const string Position = Prelude + """
        if fenced() then return redis.error_reply('NOGEN ' .. (redis.call('GET', KEYS[3]) or '')) end
        local epoch = open()
        expire(tonumber(ARGV[2]))
        return {epoch, top()}
        """;
}
