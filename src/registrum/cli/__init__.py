"""Client-side commands. They use core/ and client/ only, so they work against any registry."""
