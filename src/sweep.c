/* sweep.c — placeholder, being written */
