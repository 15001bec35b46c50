echo hello from the script
