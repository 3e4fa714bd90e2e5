console.log("nested");
