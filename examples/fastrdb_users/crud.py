# crud.py
from vermilion.cache import FastRDB  # was: from fastrdb import FastRDB
from models import User
from schemas import UserCreate, UserUpdate, UserResponse

user_crud = FastRDB[User, UserCreate, UserUpdate, UserResponse](
    User, 
    UserResponse,   
    pattern="user:email:{email}",
    list_pattern="user:page:{page}:limit:{limit}",
    invalidate_pattern_prefix="todo:*",
    exp=6000
)
