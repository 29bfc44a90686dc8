"""MakeMKV: its robot-mode output, and makemkvcon as a disc source."""
