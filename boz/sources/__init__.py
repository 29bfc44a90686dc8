"""Where titles come from: a folder of title files today, MakeMKV-read discs next."""
