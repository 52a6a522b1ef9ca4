-- skynet.manager -- in skynet this module adds register, name, launch,
-- kill, abort and forward_type to the skynet table.  Here the skynet
-- table has them already (the tutorial's services use some without
-- requiring this module), as well as actord's newservice_on; requiring
-- it keeps such code working.
return require "skynet"
