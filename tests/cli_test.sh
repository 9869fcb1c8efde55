#!/bin/bash
exit 1 # placeholder
