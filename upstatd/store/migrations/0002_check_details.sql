-- What a probe type measures beyond phases (ICMP round trips and loss, days
-- to certificate expiry, DNS answers), as compact JSON; NULL when nothing.
ALTER TABLE checks ADD COLUMN details TEXT;
