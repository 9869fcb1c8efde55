/* grid.c — placeholder, being written */
