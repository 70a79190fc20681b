# sqlcipher3 ships no types: these are its names that probdesk uses (see dbapi2.pyi).
from sqlcipher3 import dbapi2 as dbapi2
