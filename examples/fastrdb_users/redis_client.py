# redis_client.py
import os
from redis.asyncio import Redis
from typing import AsyncGenerator

redis_host = "localhost"           
redis_port = 6379          
redis_db = 0
redis_decode_responses = True 

# Deviation (a) from the seed, which always connects to localhost:6379: REDIS_URL may name
# another server (the tests use a private one); the default is built from the seed's values.
REDIS_URL = os.environ.get("REDIS_URL", f"redis://{redis_host}:{redis_port}/{redis_db}")

redis_client = Redis.from_url(
    REDIS_URL,
    decode_responses=redis_decode_responses
)

async def get_redis() -> AsyncGenerator[Redis, None]:
    try:
        yield redis_client
    finally:
        await redis_client.close()
