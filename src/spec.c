/* spec.c — placeholder, being written */
