-- Who the pipeline's session is: the user it logged in as and the role it runs with.
SELECT CURRENT_USER(), CURRENT_ROLE();
