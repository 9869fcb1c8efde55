/* rng.c — placeholder, being written */
