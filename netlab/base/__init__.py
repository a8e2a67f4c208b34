"""The base every package stands on: errors, abort points, atomic files, logs, user paths; imports nothing of netlab."""
