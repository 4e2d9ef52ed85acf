-- The user's second public key, while a rotation is under way: Snowflake accepts a
-- login with either key. Set it to the new key, move the clients to the new private
-- key, then make the new key the first and clear this one (a rerun without it).
ALTER USER {user} SET RSA_PUBLIC_KEY_2 = %(public_key)s;
