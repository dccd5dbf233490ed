-- list.insert(index, value) with Python's clamping.  KEYS[1]; ARGV: index, value, tombstone
--!include list_common
return insert_at(KEYS[1], tonumber(ARGV[1]), ARGV[2], ARGV[3])
