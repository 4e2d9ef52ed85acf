-- No rotation under way: the second key slot is empty, so a retired key cannot log in.
ALTER USER {user} UNSET RSA_PUBLIC_KEY_2;
